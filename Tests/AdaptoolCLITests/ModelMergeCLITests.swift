import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// `adaptool merge MODEL_DIR PEFT_DIR -o OUT_DIR` (issue 9): a Hugging Face model folder and a PEFT
/// adapter folder straight to a merged model folder, checked against the float64 merges numpy
/// computed (Fixtures/transformers): float32 within 1e-5, bfloat16/float16 rounded once from
/// float64, untouched tensors and non-weight files byte for byte, the input's sharding kept.
@Suite struct ModelMergeCLITests {
    static let adapters = ["llama-lora-all-linear", "llama-dora", "llama-rslora-patterns", "llama-bf16-lora",
                           "llama-f16-dora", "gpt2-lora-conv1d", "gpt2-dora-conv1d"]

    @Test(arguments: adapters)
    func directMergeMatchesTheFloat64Merge(_ adapter: String) throws {
        let dir = try TemporaryDirectory()
        let base = try #require(try TransformerFixtures.expectations().adapters[adapter]).base
        let output = dir.file("merged")
        let result = try ExternalProcess.adaptool(["merge", TransformerFixtures.root + "/" + base, TransformerFixtures.root + "/" + adapter, "-o", output])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(!result.crashed)
        #expect(result.stdout.contains("wrote \(output)"))
        try TransformerFixtures.expectMerged(output, adapter: adapter)
        #expect(try dir.contents() == ["merged"], "no temporary folder may be left")
    }

    @Test func aSafetensorsOutputIsOneFile() throws {
        let dir = try TemporaryDirectory()
        let root = TransformerFixtures.root
        let result = try ExternalProcess.adaptool(["merge", root + "/llama-bf16", root + "/llama-bf16-lora", "-o", dir.file("merged.safetensors")])
        try #require(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.contains("config.json"), "the files left out are named")
        // The file holds the same tensors as the merged folder, byte for byte.
        let folder = try ExternalProcess.adaptool(["merge", root + "/llama-bf16", root + "/llama-bf16-lora", "-o", dir.file("merged")])
        try #require(folder.status == 0, "\(folder.stderr)")
        let file = try SafetensorsFile(path: dir.file("merged.safetensors"))
        let merged = try TransformerFixtures.tensors(ofFolder: dir.file("merged"))
        #expect(file.tensors == merged.map(\.info))
        #expect(try merged.allSatisfy { try file.rawBytes(of: $0.info.name) == $0.bytes })
        #expect(try dir.contents() == ["merged", "merged.safetensors"])
    }

    @Test func twoLoRAAdaptersStackWithTheirWeights() throws {
        let dir = try TemporaryDirectory()
        let (root, output) = (TransformerFixtures.root, dir.file("merged"))
        // The same adapter twice at weights 0.25 and 0.75 is the adapter once.
        let result = try ExternalProcess.adaptool(["merge", root + "/llama-f32", root + "/llama-lora-all-linear", root + "/llama-lora-all-linear",
                                                   "--weights", "0.25,0.75", "-o", output])
        try #require(result.status == 0, "\(result.stderr)")
        try TransformerFixtures.expectMerged(output, adapter: "llama-lora-all-linear")
    }

    @Test func anExistingOutputFolderIsNeverReplaced() throws {
        let dir = try TemporaryDirectory()
        let output = dir.file("out")
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        try "keep".write(toFile: output + "/mine.txt", atomically: false, encoding: .utf8)
        for force in [[], ["--force"]] {
            let arguments = ["merge", TransformerFixtures.root + "/llama-f32", TransformerFixtures.root + "/llama-lora-all-linear", "-o", output] + force
            OutputFixture.expectOneLineFailure(try ExternalProcess.adaptool(arguments), naming: output, arguments)
            #expect(try FileManager.default.contentsOfDirectory(atPath: output) == ["mine.txt"])
            #expect(try OutputFixture.leftovers(in: dir.path) == [])
        }
    }

    @Test func anAdapterThatDoesNotFitNamesTheModuleAndWritesNothing() throws {
        let dir = try TemporaryDirectory()
        for (adapter, facts) in try TransformerFixtures.expectations().invalid.sorted(by: { $0.key < $1.key }) {
            let base = try #require(facts["base"]), module = try #require(facts["module"])
            let arguments = ["merge", TransformerFixtures.root + "/" + base, TransformerFixtures.root + "/" + adapter, "-o", dir.file("out")]
            let result = try ExternalProcess.adaptool(arguments)
            OutputFixture.expectOneLineFailure(result, naming: adapter, arguments)
            #expect(result.stderr.contains(module), "\(adapter): \(result.stderr)")
            #expect(try dir.contents() == [], "\(adapter): nothing may be written")
        }
    }

    @Test func aDoRAAdapterIsNotStackedWithAnother() throws {
        let dir = try TemporaryDirectory()
        let root = TransformerFixtures.root
        let arguments = ["merge", root + "/llama-f32", root + "/llama-dora", root + "/llama-lora-all-linear", "-o", dir.file("out")]
        let result = try ExternalProcess.adaptool(arguments)
        OutputFixture.expectOneLineFailure(result, naming: "llama-dora", arguments)
        #expect(result.stderr.contains("merge it alone"))
        #expect(try dir.contents() == [])
    }

    @Test func aFullDiskLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        let output = dir.file("out")
        // Below the smallest shard: the reservation of the first shard fails.
        for limit in [1_000, 40_000] {
            let arguments = ["merge", TransformerFixtures.root + "/llama-f32", TransformerFixtures.root + "/llama-lora-all-linear", "-o", output]
            let result = try DiskFullCLITests.run(arguments, fileSizeLimit: limit)
            OutputFixture.expectOneLineFailure(result, naming: output, arguments + ["limit \(limit)"])
            #expect(try dir.contents() == [], "limit \(limit): no output and no temporary folder may be left")
        }
    }

    @Test func anInterruptLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        // A 2048 × 4096 float32 weight (32 MB) and a LoRA on it: long enough to interrupt mid-write.
        let script = """
        import json, os, sys
        import numpy as np
        from safetensors.numpy import save_file
        root = sys.argv[1]
        os.makedirs(root + "/model"); os.makedirs(root + "/lora")
        rng = np.random.default_rng(0)
        save_file({"m.proj.weight": rng.standard_normal((2048, 4096), dtype=np.float32)}, root + "/model/model.safetensors", {"format": "pt"})
        json.dump({"model_type": "test"}, open(root + "/model/config.json", "w"))
        save_file({"base_model.model.m.proj.lora_A.weight": np.ones((8, 4096), np.float32),
                   "base_model.model.m.proj.lora_B.weight": np.ones((2048, 8), np.float32)}, root + "/lora/adapter_model.safetensors")
        json.dump({"peft_type": "LORA", "r": 8, "lora_alpha": 8, "target_modules": ["proj"]}, open(root + "/lora/adapter_config.json", "w"))
        """
        let inputs = dir.file("in")
        let made = try ExternalProcess.python(["-c", script, inputs])
        try #require(made.status == 0, "\(made.stderr)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: PackagePaths.adaptoolBinary)
        process.arguments = ["merge", inputs + "/model", inputs + "/lora", "-o", dir.file("out")]
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Interrupt once the hidden temporary folder exists (the merge is under way).
        while process.isRunning, try !dir.contents().contains(where: { $0.hasPrefix(".out.tmp-") }) { usleep(1_000) }
        process.interrupt()
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "the merge finished before the interrupt arrived")
        #expect(try dir.contents() == ["in"], "no output and no temporary folder may be left")
    }
}

