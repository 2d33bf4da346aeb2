import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// The v2 writers keep issue 8's guarantees on a full disk (a small tmpfs; needs root, skipped
/// otherwise): one FormatError line naming the destination, no temporary file left, an existing
/// output untouched. (The CLI commands that write v2 files are tested by their own suites.)
@Suite struct DiskFullV2Tests {
    @Test(.enabled(if: SmallFileSystem.isAvailable, "mounting a tmpfs needs root; skipped"))
    func checkpointAndAdapterWritersFailCleanly() throws {
        let dir = try TemporaryDirectory()
        let disk = try #require(SmallFileSystem(at: dir.file("disk"), kilobytes: 128))
        let output = disk.path + "/out.h5"
        try "old".write(toFile: output, atomically: false, encoding: .utf8)
        let info = try #require(TensorInfo(name: "model.embed_tokens.weight", dtype: .bfloat16, shape: [300, 256]))
        let bytes = [UInt8](repeating: 0x3F, count: info.byteCount)  // 150 KB: more than the disk holds
        // Both ways of writing a checkpoint: whole tensors, and streamed (import's path: pwrite at
        // preallocated offsets on every core).
        let writes: [(String, (TensorCheckpointWriter) throws -> Void)] = [
            ("whole", { writer in try bytes.withUnsafeBytes { try writer.write(info, bytes: $0, digest: nil) } }),
            ("streamed", { writer in
                try writer.writeStreamed([.init(info: info, shard: nil)]) { (_, _, buffer) throws(FormatError) in
                    buffer.initializeMemory(as: UInt8.self, repeating: 0x3F)
                }
            }),
        ]
        for (way, write) in writes {
            for reserve in [0, info.byteCount] {
                do {
                    let writer = try TensorCheckpointWriter(path: output, metadata: TensorCheckpointMetadata(architecture: "llama"),
                                                            options: WriteOptions(overwrite: true), reservingBytes: reserve)
                    try write(writer)
                    try writer.commit()
                    Issue.record("a 150 KB tensor fitted a 128 KB disk (\(way))")
                } catch {
                    #expect(String(describing: error).contains(output) && !String(describing: error).contains(".tmp-") && !String(describing: error).contains("\n"), "\(error)")
                }
                #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path) == ["out.h5"], "\(way), reserve \(reserve)")
                #expect(try String(contentsOfFile: output, encoding: .utf8) == "old")
            }
        }
        do {
            let writer = try TensorAdapterWriter(path: output, method: "lora", baseFingerprint: nil, options: WriteOptions(overwrite: true))
            let a = try #require(TensorInfo(name: "A", dtype: .float32, shape: [64, 1024]))
            let b = try #require(TensorInfo(name: "B", dtype: .float32, shape: [1024, 64]))
            try writer.write(LowRankTarget(tensor: "w", rank: 64, scaling: 1, factors: ["A": a, "B": b]),
                             factorBytes: ["A": [UInt8](repeating: 1, count: a.byteCount), "B": [UInt8](repeating: 1, count: b.byteCount)])
            try writer.commit()
            Issue.record("a 512 KB adapter fitted a 128 KB disk")
        } catch {
            #expect(String(describing: error).contains(output) && !String(describing: error).contains("\n"), "\(error)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path) == ["out.h5"])
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "old")
    }
}
