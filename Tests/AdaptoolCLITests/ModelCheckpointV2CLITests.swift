import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// `merge base.h5 adapter.h5 -o merged.h5` and `export CHECKPOINT.h5 -o OUT` on format v2 (issue
/// 9): v2 files written by h5py from the Fixtures/transformers models and PEFT adapters, merged and
/// exported by adaptool, give the float64 merges numpy computed; export restores the model folder
/// (tensors byte for byte, sharding, index, config.json and the other files).
@Suite struct ModelCheckpointV2CLITests {
    @Test(arguments: ModelMergeCLITests.adapters)
    func h5MergeThenExportMatchesTheFloat64Merge(_ adapter: String) throws {
        let dir = try TemporaryDirectory()
        let model = try #require(try TransformerFixtures.expectations().adapters[adapter]).base
        try TransformerFixtures.writeV2(model: model, adapters: [adapter], into: dir.path)
        let merge = try ExternalProcess.adaptool(["merge", dir.file("base.h5"), dir.file(adapter + ".h5"), "-o", dir.file("merged.h5")])
        try #require(merge.status == 0, "\(merge.stderr)")
        #expect(merge.stdout.contains("fingerprint "))
        // h5py checks every stored digest (reused for untouched tensors, computed for merged ones).
        let check = try ExternalProcess.python(["-c", "import sys; sys.path.insert(0, sys.argv[1]); from write_v2 import read_checkpoint; read_checkpoint(sys.argv[2])",
                                                PackagePaths.fixtures + "/v2", dir.file("merged.h5")])
        #expect(check.status == 0, "\(check.stderr)")
        let export = try ExternalProcess.adaptool(["export", dir.file("merged.h5"), "-o", dir.file("out")])
        try #require(export.status == 0, "\(export.stderr)")
        try TransformerFixtures.expectMerged(dir.file("out"), adapter: adapter)
        #expect(try OutputFixture.leftovers(in: dir.path) == [])
    }

    @Test(arguments: ModelMergeCLITests.adapters)
    func importMergeExportMatchesTheFloat64Merge(_ adapter: String) throws {
        let dir = try TemporaryDirectory()
        let (root, model) = (TransformerFixtures.root, try #require(try TransformerFixtures.expectations().adapters[adapter]).base)
        let steps = [["import", root + "/" + model, "-o", dir.file("base.h5")],
                     ["import", root + "/" + adapter, "--base", dir.file("base.h5"), "-o", dir.file("adapter.h5")],
                     ["merge", dir.file("base.h5"), dir.file("adapter.h5"), "-o", dir.file("merged.h5")],
                     ["export", dir.file("merged.h5"), "-o", dir.file("out")]]
        for step in steps {
            let result = try ExternalProcess.adaptool(step)
            try #require(result.status == 0, "adaptool \(step.joined(separator: " ")): \(result.stderr)")
        }
        try TransformerFixtures.expectMerged(dir.file("out"), adapter: adapter)
        #expect(try OutputFixture.leftovers(in: dir.path) == [])
    }

    @Test(arguments: ["llama-f32", "llama-bf16", "llama-f16", "gpt2-f32"])
    func exportRestoresTheModelFolder(_ model: String) throws {
        let dir = try TemporaryDirectory()
        try TransformerFixtures.writeV2(model: model, adapters: [], into: dir.path)
        let result = try ExternalProcess.adaptool(["export", dir.file("base.h5"), "-o", dir.file("out")])
        try #require(result.status == 0, "\(result.stderr)")
        try TransformerFixtures.expectFolder(dir.file("out"), like: TransformerFixtures.root + "/" + model, merged: nil)
        // One .safetensors file: the same tensors, bytes and order, the source's __metadata__.
        let single = try ExternalProcess.adaptool(["export", dir.file("base.h5"), "-o", dir.file("model.safetensors")])
        try #require(single.status == 0, "\(single.stderr)")
        let file = try SafetensorsFile(path: dir.file("model.safetensors"))
        let original = try TransformerFixtures.tensors(ofFolder: TransformerFixtures.root + "/" + model)
        #expect(file.tensors == original.map(\.info))
        #expect(try original.allSatisfy { try file.rawBytes(of: $0.info.name) == $0.bytes })
        #expect(file.metadata == ["format": "pt"])
        #expect(single.stderr.contains("config.json"), "the dropped files are named: \(single.stderr)")
    }

    @Test func exportNeverReplacesAFolderAndTakesNoDtype() throws {
        let dir = try TemporaryDirectory()
        try TransformerFixtures.writeV2(model: "llama-f16", adapters: [], into: dir.path)
        try FileManager.default.createDirectory(atPath: dir.file("out"), withIntermediateDirectories: false)
        for force in [[], ["--force"]] {
            let arguments = ["export", dir.file("base.h5"), "-o", dir.file("out")] + force
            OutputFixture.expectOneLineFailure(try ExternalProcess.adaptool(arguments), naming: dir.file("out"), arguments)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("out")) == [])
        let dtype = try ExternalProcess.adaptool(["export", dir.file("base.h5"), "-o", dir.file("new"), "--dtype", "f16"])
        #expect(dtype.status != 0 && dtype.stderr.contains("own dtype"))
        #expect(try dir.contents() == ["base.h5", "out"])
    }

    @Test func h5MergeRefusesAnAdapterForAnotherBase() throws {
        let dir = try TemporaryDirectory()
        try TransformerFixtures.writeV2(model: "llama-f16", adapters: [], into: dir.path + "/")
        let other = dir.file("other")
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        try TransformerFixtures.writeV2(model: "llama-f32", adapters: ["llama-lora-all-linear"], into: other)
        let arguments = ["merge", dir.file("base.h5"), other + "/llama-lora-all-linear.h5", "-o", dir.file("merged.h5")]
        let result = try ExternalProcess.adaptool(arguments)
        OutputFixture.expectOneLineFailure(result, naming: "llama-lora-all-linear.h5", arguments)
        #expect(result.stderr.contains("--ignore-fingerprint"))
        #expect(try dir.contents() == ["base.h5", "other"])
    }

    @Test func unmergeTakesALoRABackOutAndRefusesDoRA() throws {
        let dir = try TemporaryDirectory()
        try TransformerFixtures.writeV2(model: "llama-f32", adapters: ["llama-lora-all-linear", "llama-dora"], into: dir.path)
        let steps = [["merge", dir.file("base.h5"), dir.file("llama-lora-all-linear.h5"), "-o", dir.file("merged.h5")],
                     ["unmerge", dir.file("merged.h5"), dir.file("llama-lora-all-linear.h5"), "-o", dir.file("restored.h5")],
                     ["export", dir.file("restored.h5"), "-o", dir.file("restored")]]
        for step in steps {
            let result = try ExternalProcess.adaptool(step)
            try #require(result.status == 0, "adaptool \(step.joined(separator: " ")): \(result.stderr)")
        }
        let base = try TransformerFixtures.tensors(ofFolder: TransformerFixtures.root + "/llama-f32")
        let restored = try TransformerFixtures.tensors(ofFolder: dir.file("restored"))
        #expect(restored.map(\.info) == base.map(\.info))
        for ((info, bytes), (_, original)) in zip(restored, base) {
            let got = try #require(info.dtype.float64Values(fromLittleEndian: bytes, count: info.elementCount))
            let want = try #require(info.dtype.float64Values(fromLittleEndian: original, count: info.elementCount))
            let scale = want.map(abs).max() ?? 1
            #expect(zip(got, want).allSatisfy { abs($0 - $1) <= 1e-6 * scale }, "\(info.name) comes back within float32 rounding")
        }
        let arguments = ["unmerge", dir.file("merged.h5"), dir.file("llama-dora.h5"), "-o", dir.file("nope.h5")]
        let dora = try ExternalProcess.adaptool(arguments)
        OutputFixture.expectOneLineFailure(dora, naming: "llama-dora.h5", arguments)
        #expect(dora.stderr.contains("cannot be unmerged"))
        #expect(try !dir.contents().contains("nope.h5") && OutputFixture.leftovers(in: dir.path) == [])
    }
}
