import AdapterTestSupport
import Foundation
import Testing

/// Issue 9: `adaptool import MODEL -o base.h5` on a model of any architecture gives a v2
/// checkpoint holding every tensor byte for byte (read back with h5py, not with adaptool).
@Suite struct ModelImportCLITests {
    /// A tiny Llama in each dtype, sharded or not: every tensor, dtype, shape, shard and attached file comes back.
    @Test(arguments: [("F32", 2), ("BF16", 1), ("F16", 3)])
    func aModelFolderComesBackByteForByte(_ dtype: String, _ shards: Int) throws {
        let dir = try TemporaryDirectory()
        let written = try TinyTransformers.generate(["llama", dir.file("llama"), dtype, String(shards)])
        let before = try dir.contents()
        let result = try ExternalProcess.adaptool(["import", dir.file("llama"), "-o", dir.file("base.h5")])
        #expect(result.status == 0 && !result.crashed, "\(result.stderr)")
        #expect(result.stdout.contains("format v2, architecture llama): \(written.count) tensors"), "\(result.stdout)")
        let stored = try TinyTransformers.read(TinyTransformers.readBack, dir.file("base.h5"))
        let names = { (dtype: String) in ["F32": "float32", "BF16": "bfloat16", "F16": "float16", "I64": "int64"][dtype] }
        #expect(Set(stored.keys.filter { !$0.hasPrefix("__") }) == Set(written.keys))
        for (name, source) in written {
            let tensor = try #require(stored[name], "\(name) missing")
            #expect(tensor["hex"] as? String == source["hex"] as? String, "\(name) bytes")
            #expect(tensor["shape"] as? [Int] == source["shape"] as? [Int], "\(name) shape")
            #expect(tensor["dtype"] as? String == names(source["dtype"] as? String ?? ""), "\(name) dtype")
            #expect(tensor["shard"] as? String == source["shard"] as? String, "\(name) shard")
            #expect((tensor["sha256"] as? String)?.count == 64)
        }
        let root = try #require(stored["__root__"])
        #expect(root["format"] as? String == "adaptool.checkpoint" && root["format_version"] as? Int == 2)
        #expect(root["architecture"] as? String == "llama")
        #expect(root["safetensors_metadata"] as? String == #"{"format":"pt"}"#)
        #expect(result.stdout.contains("fingerprint \(root["fingerprint"] as? String ?? "?")"))
        let files = try #require(stored["__files__"] as? [String: String])
        #expect(files.keys.sorted() == ["config.json", "generation_config.json", "tokenizer_config.json"])
        for (name, hex) in files {
            let data = try Data(contentsOf: URL(fileURLWithPath: dir.file("llama/" + name)))
            #expect(hex == data.map { String(format: "%02x", $0) }.joined(), "\(name)")
        }
        #expect(try dir.contents() == (before + ["base.h5"]).sorted())
        #expect(try OutputFixture.leftovers(in: dir.path).isEmpty)
    }

    /// One `.safetensors` file that is not an MLP state dict becomes a v2 checkpoint of unknown
    /// architecture; an MLP state dict stays a v1 checkpoint.
    @Test func aBareSafetensorsFileOfAnyArchitecture() throws {
        let dir = try TemporaryDirectory()
        let written = try TinyTransformers.generate(["gpt2", dir.file("gpt2")])
        let result = try ExternalProcess.adaptool(["import", dir.file("gpt2/model.safetensors"), "-o", dir.file("gpt2.h5")])
        #expect(result.status == 0, "\(result.stderr)")
        let stored = try TinyTransformers.read(TinyTransformers.readBack, dir.file("gpt2.h5"))
        #expect(stored["__root__"]?["architecture"] as? String == "unknown")
        #expect(stored.count == written.count + 2)
        for (name, source) in written { #expect(stored[name]?["hex"] as? String == source["hex"] as? String, "\(name)") }
        let mlp = try ExternalProcess.adaptool(["import", PackagePaths.fixtures + "/interop/base_state_dict.safetensors", "-o", dir.file("mlp.h5")])
        #expect(mlp.status == 0 && mlp.stdout.contains("3 layers (layers.0, layers.2, layers.4)"), "\(mlp.stdout)\(mlp.stderr)")
    }

    /// A file to attach above the cap is refused by name, and nothing is written.
    @Test func anOversizedSideFileIsRefused() throws {
        let dir = try TemporaryDirectory()
        try TinyTransformers.generate(["llama", dir.file("llama"), "F32", "1"])
        let big = dir.file("llama/tokenizer.json")
        #expect(FileManager.default.createFile(atPath: big, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: big))
        try handle.truncate(atOffset: UInt64(256 << 20) + 1)  // sparse: no disk space used
        try handle.close()
        let result = try ExternalProcess.adaptool(["import", dir.file("llama"), "-o", dir.file("base.h5")])
        OutputFixture.expectOneLineFailure(result, naming: big, ["oversized"])
        #expect(result.stderr.contains("limited to 268435456 bytes"), "\(result.stderr)")
        #expect(try dir.contents() == ["llama"])
    }

    /// Things that are no model are named for what they are.
    @Test func aPNGOrAnEmptyFolderIsNamed() throws {
        let dir = try TemporaryDirectory()
        try Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]).write(to: URL(fileURLWithPath: dir.file("cat.png")))
        try FileManager.default.createDirectory(atPath: dir.file("empty"), withIntermediateDirectories: false)
        for (input, words) in [(dir.file("cat.png"), "is a PNG image"), (dir.file("empty"), "is a folder with neither config.json nor adapter_config.json")] {
            let result = try ExternalProcess.adaptool(["import", input, "-o", dir.file("out.h5")])
            OutputFixture.expectOneLineFailure(result, naming: input, [input])
            #expect(result.stderr.contains(words), "\(result.stderr)")
        }
        #expect(try dir.contents() == ["cat.png", "empty"])
    }

    /// A FIFO where the weights should be is refused before it is opened (under `timeout`, so a
    /// regression fails instead of hanging); a FIFO among the side files is left out with a note.
    @Test func aFIFOInAModelFolderNeverBlocks() throws {
        let dir = try TemporaryDirectory()
        try TinyTransformers.generate(["llama", dir.file("llama"), "F32", "1"])
        #expect(mkfifo(dir.file("llama/tokenizer.json"), 0o600) == 0)
        let noted = try InputTest.adaptool(["import", dir.file("llama"), "-o", dir.file("base.h5")])
        #expect(noted.status == 0 && noted.stderr.contains("not attached") && noted.stderr.contains("tokenizer.json"), "\(noted.stderr)")
        let weights = dir.file("llama/model.safetensors")
        try FileManager.default.removeItem(atPath: weights)
        #expect(mkfifo(weights, 0o600) == 0)
        let result = try InputTest.adaptool(["import", dir.file("llama"), "-o", dir.file("again.h5")])
        InputTest.expectOneErrorLine(result, naming: weights, containing: "is a FIFO (named pipe), not a regular file")
        #expect(try dir.contents() == ["base.h5", "llama"])
    }
}
