import Foundation
import Testing
@testable import AdapterCore
import AdapterTestSupport

/// What the Swift v2 writers write, the Swift readers and the independent h5py implementation
/// (Fixtures/v2/write_v2.py, hashlib) read back byte for byte, with the same digests.
@Suite struct FormatV2RoundTripTests {
    /// Every dtype, a scalar, a zero-length tensor, names that need escaping, and one tensor large
    /// enough (2.4 MB) to be hashed on a second thread and written in row slabs.
    static func sampleTensors() -> [(TensorInfo, [UInt8])] {
        var generator = SeededGenerator(seed: 9)
        let specs: [(String, TensorDType, [Int])] = [
            ("model.embed_tokens.weight", .bfloat16, [6, 4]), ("model.layers.0.q_proj.weight", .float16, [4, 4]),
            ("big/weight%", .float32, [600, 1000]), ("lm_head.weight", .float64, [3, 2]), ("step", .int64, []),
            (".hidden", .int8, [3]), ("mask", .bool, [2, 2]), ("empty", .float32, [0, 5]), ("u16", .uint16, [2]),
            ("i16", .int16, [2]), ("i32", .int32, [1, 1, 2]), ("u32", .uint32, [2]), ("u64", .uint64, [2]), ("u8", .uint8, [4]),
        ]
        return specs.map { name, dtype, shape in
            let info = TensorInfo(name: name, dtype: dtype, shape: shape)!
            var bytes = (0..<info.byteCount).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if dtype == .bool { bytes = bytes.map { $0 & 1 } }
            return (info, bytes)
        }
    }

    @Test func swiftWrittenCheckpointReadsBackInSwiftAndH5py() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("out.h5")
        let tensors = Self.sampleTensors()
        let writer = try TensorCheckpointWriter(path: path, metadata: TensorCheckpointMetadata(architecture: "llama", provenance: "{}", safetensorsMetadata: #"{"format":"pt"}"#))
        for (index, (info, bytes)) in tensors.enumerated() {
            try bytes.withUnsafeBytes { try writer.write(info, bytes: $0, digest: nil, shard: index.isMultiple(of: 2) ? "model-00001-of-00002.safetensors" : nil) }
        }
        try writer.attachFile(named: "config.json", contents: Array(#"{"model_type":"llama"}"#.utf8))
        try writer.attachFile(named: "tokenizer/x.txt", contents: [])
        let fingerprint = try writer.commit()
        #expect(try dir.contents() == ["out.h5"], "no temporary file left")

        let file = try TensorCheckpointFile(path: path)
        #expect(file.fingerprint == fingerprint && file.architecture == "llama" && file.safetensorsMetadata == #"{"format":"pt"}"#)
        #expect(file.tensors == tensors.map(\.0))
        for (info, bytes) in tensors {
            #expect(try file.rawBytes(of: info.name) == bytes, "\(info.name)")
            #expect(file.digest(of: info.name) == bytes.withUnsafeBytes { TensorDigest.digest(of: info, bytes: $0) })
        }
        #expect(file.shard(of: "model.embed_tokens.weight") == "model-00001-of-00002.safetensors" && file.shard(of: "model.layers.0.q_proj.weight") == nil)
        #expect(try file.attachedFile(named: "config.json") == Array(#"{"model_type":"llama"}"#.utf8))
        #expect(try file.attachedFile(named: "tokenizer/x.txt") == [])
        #expect(try file.verify().isValid)

        // h5py + hashlib: every digest and the fingerprint recomputed, and the bytes listed.
        let result = try ExternalProcess.python(["-c", """
            import sys, json; sys.path.insert(0, sys.argv[2])
            from write_v2 import read_checkpoint
            tensors, attrs, files = read_checkpoint(sys.argv[1])
            print(json.dumps({"fingerprint": attrs["fingerprint"], "files": {k: v.hex() for k, v in files.items()},
                              "tensors": {n: [t[0], t[1], t[2].hex(), t[4]] for n, t in tensors.items()}}))
            """, path, PackagePaths.fixtures + "/v2"])
        try #require(result.status == 0, "h5py could not read it: \(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(json["fingerprint"] as? String == fingerprint)
        let read = try #require(json["tensors"] as? [String: [Any]])
        for (order, (info, bytes)) in tensors.enumerated() {
            let entry = try #require(read[info.name], "\(info.name) missing in h5py's view")
            #expect(entry[0] as? String == info.dtype.rawValue && entry[1] as? [Int] == info.shape && entry[3] as? Int == order, "\(info.name)")
            #expect(entry[2] as? String == bytes.map { String(format: "%02x", $0) }.joined(), "\(info.name) bytes")
        }
        #expect((json["files"] as? [String: String])?["config.json"] == Array(#"{"model_type":"llama"}"#.utf8).map { String(format: "%02x", $0) }.joined())
    }

    @Test func compressedCheckpointAndKnownDigests() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("c.h5")
        // 8 MB of zeros deflate to far less than the file: still read (bounded by deflate's ratio, not the file size).
        let tensors = Self.sampleTensors() + [(TensorInfo(name: "zeros", dtype: .float32, shape: [2048, 1024])!, [UInt8](repeating: 0, count: 8 << 20))]
        let writer = try TensorCheckpointWriter(path: path, metadata: TensorCheckpointMetadata(architecture: "unknown"), options: WriteOptions(compressionLevel: 4))
        let wrong = String(repeating: "ab", count: 32)
        for (info, bytes) in tensors {
            try bytes.withUnsafeBytes { try writer.write(info, bytes: $0, digest: info.name == "mask" ? wrong : nil) }
        }
        try writer.commit()
        let size = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
        #expect(size < 8 << 20, "compressed: \(size) bytes")
        let file = try TensorCheckpointFile(path: path)
        for (info, bytes) in tensors { #expect(try file.rawBytes(of: info.name) == bytes) }
        #expect(file.digest(of: "mask") == wrong, "a given digest is stored as is")
        let verification = try file.verify()
        #expect(verification.firstMismatch == "mask" && verification.mismatchCount == 1)
    }

    @Test func digestsMatchHashlibAndParallelMatchesSequential() throws {
        let tensors = Self.sampleTensors()
        // Buffers that outlive the parallel call (each read by one worker).
        let buffers = tensors.map { _, bytes in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 8)
            buffer.copyBytes(from: bytes)
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        let parallel = TensorDigest.digests(of: tensors.map(\.0)) { UnsafeRawBufferPointer(buffers[$0]) }
        let sequential = tensors.map { info, bytes in bytes.withUnsafeBytes { TensorDigest.digest(of: info, bytes: $0) } }
        #expect(parallel == sequential)
        var streamed = TensorDigest(tensors[2].0)
        tensors[2].1.withUnsafeBytes { raw in
            for start in stride(from: 0, to: raw.count, by: 100_000) { streamed.update(UnsafeRawBufferPointer(rebasing: raw[start..<min(raw.count, start + 100_000)])) }
        }
        #expect(streamed.finalize() == sequential[2])
        let script = """
            import sys, json; sys.path.insert(0, sys.argv[1])
            from write_v2 import tensor_digest, model_fingerprint
            items = json.loads(sys.stdin.read()) if False else json.loads(open(sys.argv[2]).read())
            digests = {n: tensor_digest(n, d, s, bytes.fromhex(h)) for n, d, s, h in items}
            print(json.dumps([digests[n] for n, _, _, _ in items] + [model_fingerprint(digests)]))
            """
        let dir = try TemporaryDirectory()
        let input = dir.file("tensors.json")
        let items = tensors.filter { $0.1.count < 100_000 }
        let payload = items.map { [$0.0.name, $0.0.dtype.rawValue, $0.0.shape, $0.1.map { String(format: "%02x", $0) }.joined()] as [Any] }
        try JSONSerialization.data(withJSONObject: payload).write(to: URL(fileURLWithPath: input))
        let result = try ExternalProcess.python(["-c", script, PackagePaths.fixtures + "/v2", input])
        try #require(result.status == 0, "\(result.stderr)")
        let python = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String])
        let swift = items.map { info, bytes in bytes.withUnsafeBytes { TensorDigest.digest(of: info, bytes: $0) } }
        #expect(Array(python.dropLast()) == swift)
        #expect(python.last == TensorDigest.modelFingerprint(zip(items, swift).map { ($0.0.name, $1) }))
        #expect(TensorDigest.modelFingerprint([("a", "not hex")]) == nil)
    }

    @Test func adapterRoundTripsThroughSwiftAndH5py() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("adapter.h5")
        let fingerprint = String(repeating: "0f", count: 32)
        let writer = try TensorAdapterWriter(path: path, method: "dora", baseFingerprint: fingerprint)
        let a = TensorInfo(name: "A", dtype: .bfloat16, shape: [2, 3])!, b = TensorInfo(name: "B", dtype: .float32, shape: [4, 2])!
        let m = TensorInfo(name: "magnitude", dtype: .float16, shape: [4])!
        let values: [String: [Double]] = ["A": [1, 2, 3, -1, 0.5, 0.25], "B": (0..<8).map { Double($0) / 3 }, "magnitude": [1, 2, 3, 4]]
        try writer.write(LowRankTarget(tensor: "h.0/attn.c_attn.weight", rank: 2, scaling: 1.5, layout: .inputMajor, factors: ["A": a, "B": b, "magnitude": m]), factorValues: values)
        try writer.write(LowRankTarget(tensor: "x.weight", rank: 2, scaling: 0.5, factors: ["A": a, "B": b]), factorValues: values.filter { $0.key != "magnitude" })
        try writer.commit()
        let file = try TensorAdapterFile(path: path)
        #expect(file.manifest.method == "dora" && file.manifest.baseFingerprint == fingerprint)
        #expect(file.manifest.targets.map(\.tensor) == ["h.0/attn.c_attn.weight", "x.weight"])
        #expect(file.manifest.targets[0].layout == .inputMajor && file.manifest.targets[0].scaling == 1.5)
        #expect(try file.factorValues(tensor: "x.weight", role: "A") == values["A"])
        #expect(try file.factorValues(tensor: "h.0/attn.c_attn.weight", role: "B").map { Float($0) } == values["B"]!.map { Float($0) })
        #expect(try file.firstMismatchedFactor() == nil)
        let result = try ExternalProcess.python(["-c", """
            import sys, h5py, numpy as np; sys.path.insert(0, sys.argv[2])
            from write_v2 import tensor_digest, unescape, DTYPES
            with h5py.File(sys.argv[1]) as f:
                assert f.attrs["format_version"] == 2 and f.attrs["method"] == "dora"
                for link, g in f["targets"].items():
                    assert unescape(link) == g.attrs["tensor"]
                    for role, ds in g.items():
                        data = np.array(ds[()], dtype=DTYPES[ds.attrs["dtype"]][1], order="C").tobytes()
                        assert tensor_digest(role, ds.attrs["dtype"], list(ds.shape), data) == ds.attrs["sha256"], (link, role)
                print(sorted(f["targets"].keys()))
            """, path, PackagePaths.fixtures + "/v2"])
        #expect(result.status == 0 && result.stdout.contains("h.0%2Fattn.c_attn.weight"), "\(result.stderr)")
    }

    @Test func mlpMetadataRoundTrips() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("mlp.h5")
        let metadata = TensorCheckpointMetadata(architecture: "mlp", createdBy: "test", provenance: #"{"run": 1}"#, activation: "relu", layerOrder: ["fc1", "fc2"])
        let writer = try TensorCheckpointWriter(path: path, metadata: metadata)
        for (name, shape) in [("fc1.weight", [3, 2]), ("fc1.bias", [3]), ("fc2.weight", [1, 3]), ("fc2.bias", [1])] {
            let info = TensorInfo(name: name, dtype: .float32, shape: shape)!
            try [UInt8](repeating: 0, count: info.byteCount).withUnsafeBytes { try writer.write(info, bytes: $0, digest: nil) }
        }
        try writer.commit()
        let file = try TensorCheckpointFile(path: path)
        #expect(file.metadata == metadata && file.attachedFiles.isEmpty)
        #expect(FormatProbe.probe(path: path)! == ("adaptool.checkpoint", 2))
    }

    @Test func writersKeepTheOutputRules() throws {
        let dir = try TemporaryDirectory()
        let folder = dir.file("folder")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let metadata = TensorCheckpointMetadata(architecture: "mlp")
        #expect(throws: FormatError.outputIsFolder(path: folder)) { try TensorCheckpointWriter(path: folder, metadata: metadata, options: WriteOptions(overwrite: true)) }
        let existing = dir.file("existing.h5")
        try "old".write(toFile: existing, atomically: false, encoding: .utf8)
        #expect(throws: FormatError.outputExists(path: existing)) { try TensorCheckpointWriter(path: existing, metadata: metadata) }
        #expect(throws: FormatError.outputExists(path: existing)) { try TensorAdapterWriter(path: existing, method: "lora", baseFingerprint: nil) }
        do {
            let writer = try TensorCheckpointWriter(path: existing, metadata: metadata, options: WriteOptions(overwrite: true))
            let info = TensorInfo(name: "w", dtype: .float32, shape: [2])!
            #expect(throws: FormatError.self) { try [UInt8](repeating: 0, count: 7).withUnsafeBytes { try writer.write(info, bytes: $0, digest: nil) } }
            try [UInt8](repeating: 0, count: 8).withUnsafeBytes { try writer.write(info, bytes: $0, digest: nil) }
            #expect(throws: FormatError.self) { try [UInt8](repeating: 0, count: 8).withUnsafeBytes { try writer.write(info, bytes: $0, digest: nil) } }
            // Dropped without commit: the temporary file goes, the old output stays.
        }
        #expect(try dir.contents() == ["existing.h5", "folder"])
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "old")
    }
}
