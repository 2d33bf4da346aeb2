import AdapterCore
import AdapterTestSupport
import Foundation
import Testing

/// `adaptool import` / `export` run the way a user runs them.
@Suite struct InteropCLITests {
    let fixtures = PackagePaths.fixtures + "/interop"

    @Test func importsAStateDictAndAPEFTAdapterThenExportsThem() throws {
        let dir = try TemporaryDirectory()
        let base = try ExternalProcess.adaptool(["import", fixtures + "/base_state_dict.safetensors", "-o", dir.file("base.h5")])
        #expect(base.status == 0, "\(base.stderr)")
        #expect(base.stdout.contains("3 layers (layers.0, layers.2, layers.4)"))
        let dora = try ExternalProcess.adaptool(["import", fixtures + "/peft_dora", "--base", dir.file("base.h5"), "-o", dir.file("dora.h5")])
        #expect(dora.status == 0, "\(dora.stderr)")
        #expect(dora.stdout.contains("dora adapter") && dora.stdout.contains("norm_axis output"))
        #expect(try Adapter.read(from: dir.file("dora.h5")).baseFingerprint == CheckpointFile(path: dir.file("base.h5")).storedFingerprint)

        let export = try ExternalProcess.adaptool(["export", dir.file("dora.h5"), "-o", dir.file("dora-peft")])
        #expect(export.status == 0, "\(export.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("dora-peft")).sorted() == ["adapter_config.json", "adapter_model.safetensors"])
        let again = try ExternalProcess.adaptool(["import", dir.file("dora-peft"), "-o", dir.file("again.h5")])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("no --base given"))
        #expect(try Adapter.read(from: dir.file("again.h5")).layers == Adapter.read(from: dir.file("dora.h5")).layers)

        let state = try ExternalProcess.adaptool(["export", dir.file("base.h5"), "-o", dir.file("base.safetensors"), "--dtype", "bf16"])
        #expect(state.status == 0, "\(state.stderr)")
        #expect(state.stdout.contains("safetensors state dict"))
    }

    @Test func adapterWithoutBaseIsRefused() throws {
        let dir = try TemporaryDirectory()
        let result = try ExternalProcess.adaptool(["import", fixtures + "/peft_lora", "-o", dir.file("a.h5")])
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("adaptool: error: ") && result.stderr.contains("--base"))
        #expect(result.stderr.split(separator: "\n").count == 1)
        #expect(try dir.contents().isEmpty)
    }

    @Test func malformedFilesGiveOneLine() throws {
        let dir = try TemporaryDirectory()
        for name in ["overlapping_offsets", "duplicate_names", "wrong_byte_count"] {
            let path = fixtures + "/malformed/\(name).safetensors"
            let result = try ExternalProcess.adaptool(["import", path, "-o", dir.file("x.h5")])
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("adaptool: error: \(path): not a valid safetensors file: "), "\(result.stderr)")
            #expect(result.stderr.split(separator: "\n").count == 1)
        }
        #expect(try dir.contents().isEmpty)
    }

    @Test func wrongDirectionIsExplained() throws {
        let dir = try TemporaryDirectory()
        let export = try ExternalProcess.adaptool(["export", fixtures + "/base_state_dict.safetensors", "-o", dir.file("x")])
        #expect(export.status == 1 && export.stderr.contains("adaptool import reads safetensors"), "\(export.stderr)")
        #expect(try ExternalProcess.adaptool(["import", fixtures + "/base_state_dict.safetensors", "-o", dir.file("b.h5")]).status == 0)
        // A v1 checkpoint is upgraded to v2; a v2 file has nothing left to import.
        #expect(try ExternalProcess.adaptool(["import", dir.file("b.h5"), "-o", dir.file("c.h5")]).status == 0)
        let back = try ExternalProcess.adaptool(["import", dir.file("c.h5"), "-o", dir.file("d.h5")])
        #expect(back.status == 1 && back.stderr.contains("nothing to import"), "\(back.stderr)")
    }

    @Test func refusesToOverwriteAndNeverTouchesInputs() throws {
        let dir = try TemporaryDirectory()
        let source = fixtures + "/base_state_dict.safetensors"
        let before = try Data(contentsOf: URL(fileURLWithPath: source))
        #expect(try ExternalProcess.adaptool(["import", source, "-o", dir.file("b.h5")]).status == 0)
        let second = try ExternalProcess.adaptool(["import", source, "-o", dir.file("b.h5")])
        #expect(second.status == 1 && second.stderr.contains("--force"))
        #expect(try ExternalProcess.adaptool(["import", source, "-o", dir.file("b.h5"), "--force"]).status == 0)
        #expect(try ExternalProcess.adaptool(["export", dir.file("b.h5"), "-o", dir.file("p")]).status == 0)
        let folder = try ExternalProcess.adaptool(["export", dir.file("b.h5"), "-o", dir.file("p")])
        #expect(folder.status == 1 && folder.stderr.contains("--force"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: source)) == before)
        #expect(try dir.contents() == ["b.h5", "p"])
    }
}
