import AdapterTestSupport
import Foundation
import Testing

/// Issue 11, item 4: `import` and `export` of a model copy tensors on every core through small
/// buffers (hashing on the way in). Checked against an independent reference (the spec's Python
/// digests, the source file's bytes), across runs (the schedule differs, the output must not), and
/// for memory: a tensor is never held whole, so peak memory does not grow with the largest tensor
/// (the baseline held each tensor whole, twice over for export).
@Suite struct ParallelConversionCLITests {
    /// Writes a safetensors file the way adaptool lays one out (compact header, `__metadata__`
    /// first, tensors in data order, padded with spaces), so an export must reproduce it byte for
    /// byte; prints the spec's §5 tensor digests and model fingerprint as JSON.
    static let generator = """
        import hashlib, json, struct, sys
        import numpy as np
        out, scale = sys.argv[1], int(sys.argv[2])
        rng = np.random.default_rng(7)
        def bf16(shape):
            return (rng.standard_normal(shape).astype("<f4").view("<u4") >> 16).astype("<u2")
        tensors = [("model.embed.weight", "F32", rng.standard_normal((scale * 96, 1024)).astype("<f4")),
                   ("model.layers.0.q_proj.weight", "BF16", bf16((1100, 1024))),
                   ("model.layers.0.q_proj.bias", "F32", rng.standard_normal(7).astype("<f4")),
                   ("model.layers.1.up_proj.weight", "F16", rng.standard_normal((700, 1000)).astype("<f2")),
                   ("model.norm.weight", "F32", np.ones(1024, "<f4")), ("model.scale", "F32", np.array(0.5, "<f4")),
                   ("model.empty", "F32", np.zeros((0, 4), "<f4")), ("model.positions", "I64", np.arange(15, dtype="<i8").reshape(3, 5))]
        names = {"F32": "float32", "BF16": "bfloat16", "F16": "float16", "I64": "int64"}
        header, offset, digests = {"__metadata__": {"format": "pt"}}, 0, {}
        for name, dtype, data in tensors:
            size = data.nbytes
            header[name] = {"dtype": dtype, "shape": list(data.shape), "data_offsets": [offset, offset + size]}
            offset += size
            u64 = lambda n: struct.pack("<Q", n)
            h = hashlib.sha256(u64(len(name.encode())) + name.encode() + u64(len(names[dtype])) + names[dtype].encode() + u64(data.ndim))
            for d in data.shape: h.update(u64(d))
            h.update(data.tobytes())
            digests[name] = h.hexdigest()
        text = json.dumps(header, separators=(",", ":")).encode()
        text += b" " * ((8 - len(text) % 8) % 8)
        with open(out, "wb") as f:
            f.write(struct.pack("<Q", len(text)) + text)
            for _, _, data in tensors: f.write(data.tobytes())
        fp = hashlib.sha256()
        for name in sorted(digests, key=lambda n: n.encode()):
            fp.update(struct.pack("<Q", len(name.encode())) + name.encode() + bytes.fromhex(digests[name]))
        print(json.dumps({"digests": digests, "fingerprint": fp.hexdigest()}))
        """

    /// Reads back every tensor's sha256 and the fingerprint with h5py.
    static let readDigests = """
        import h5py, json, sys
        f = h5py.File(sys.argv[1], "r")
        print(json.dumps({"digests": {d.attrs["name"]: d.attrs["sha256"] for d in f["tensors"].values()}, "fingerprint": f.attrs["fingerprint"]}))
        """

    private func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(result.status == 0, "python failed: \(result.stderr)")
        return try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    }

    /// Several tensors over the 1 MiB step (cut into pieces), tiny, scalar, empty and integer ones:
    /// the digests and fingerprint are the reference's on every run, with and without --compress,
    /// `inspect --verify` passes, and export gives back the source file byte for byte.
    @Test func importMatchesTheReferenceDigestsOnEveryRunAndExportGivesTheFileBack() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("model.safetensors")
        let reference = try json(ExternalProcess.python(["-c", Self.generator, source, "4"]))
        let sourceBytes = try Data(contentsOf: URL(fileURLWithPath: source))
        for (run, options) in [[], [], ["--compress"]].enumerated() {
            let output = dir.file("model\(run).h5")
            let result = try ExternalProcess.adaptool(["import", source, "-o", output] + options)
            #expect(result.status == 0 && !result.crashed && result.stderr.isEmpty, "\(result.stderr)")
            let stored = try json(ExternalProcess.python(["-c", Self.readDigests, output]))
            #expect(stored["digests"] as? [String: String] == reference["digests"] as? [String: String], "run \(run) \(options)")
            #expect(stored["fingerprint"] as? String == reference["fingerprint"] as? String, "run \(run) \(options)")
            let verify = try ExternalProcess.adaptool(["inspect", "--verify", output])
            #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
            for target in ["out\(run).safetensors", "folder\(run)"] {
                let export = try ExternalProcess.adaptool(["export", output, "-o", dir.file(target)])
                #expect(export.status == 0 && !export.crashed, "\(export.stderr)")
                let file = target.hasSuffix(".safetensors") ? dir.file(target) : dir.file(target + "/model.safetensors")
                #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == sourceBytes, "\(target) differs from the source")
            }
        }
        #expect(try OutputFixture.leftovers(in: dir.path).isEmpty)
    }

    /// A 100 MiB model (its largest tensor 96 MiB) is imported and exported in well under the
    /// largest tensor's size of memory; the baseline needed more than the tensor for each.
    @Test func peakMemoryDoesNotGrowWithTheLargestTensor() throws {
        let dir = try TemporaryDirectory()
        let source = dir.file("model.safetensors")
        _ = try json(ExternalProcess.python(["-c", Self.generator, source, "256"]))
        let largest = 256 * 96 * 1024 * 4
        let limitKB = 80 * 1024  // 80 MiB: the process's own ~40 MB plus room, below the 96 MiB tensor
        for arguments in [["import", source, "-o", dir.file("model.h5")], ["export", dir.file("model.h5"), "-o", dir.file("out.safetensors")]] {
            let result = try ExternalProcess.python(["-c", """
                import resource, subprocess, sys
                run = subprocess.run(sys.argv[1:], capture_output=True, text=True)
                sys.stderr.write(run.stderr)
                print(run.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
                """, PackagePaths.adaptoolBinary] + arguments)
            let fields = result.stdout.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            try #require(fields.count == 2, "\(result.stdout)\(result.stderr)")
            #expect(fields[0] == 0, "\(arguments[0]): \(result.stderr)")
            #expect(fields[1] < limitKB, "\(arguments[0]) peaked at \(fields[1]) kB for a \(largest)-byte tensor")
        }
        let same = try Data(contentsOf: URL(fileURLWithPath: dir.file("out.safetensors"))) == Data(contentsOf: URL(fileURLWithPath: source))
        #expect(same, "the export differs from the source")
    }
}
