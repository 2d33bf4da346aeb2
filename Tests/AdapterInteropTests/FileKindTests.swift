import AdapterCore
import AdapterTestSupport
import Foundation
import Testing
@testable import AdapterInterop

/// `FileKind.detect` on every kind of path a command can be given, including ones that would
/// block (a FIFO) and files people pass by mistake (a PNG).
@Suite struct FileKindTests {
    let fixtures = PackagePaths.fixtures

    @Test func adaptoolAndForeignHDF5Files() throws {
        #expect(FileKind.detect(fixtures + "/checkpoint.h5") == .checkpoint(version: 1))
        #expect(FileKind.detect(fixtures + "/adapter_lora.h5") == .adapter(version: 1))
        #expect(FileKind.detect(fixtures + "/bad_version.h5") == .checkpoint(version: 3))
        #expect(FileKind.detect(fixtures + "/checkpoint.h5").isVersion1)
        #expect(FileKind.detect(fixtures + "/foreign.h5") == .foreignHDF5(format: nil))
        #expect(FileKind.detect(fixtures + "/wrong_format.h5") == .foreignHDF5(format: "something.else"))
        #expect(FileKind.detect(fixtures + "/truncated.h5") == .foreignHDF5(format: nil))
        #expect(FileKind.detect(fixtures + "/missing_attribute.h5") == .checkpoint(version: 1))
    }

    @Test func version2FilesAreToldApart() throws {
        let dir = try TemporaryDirectory()
        let script = """
            import h5py, sys
            for path, kind, version in ((sys.argv[1], "checkpoint", 2), (sys.argv[2], "adapter", 2), (sys.argv[3], "adapter", 99)):
                with h5py.File(path, "w") as f:
                    f.attrs["format"] = "adaptool." + kind
                    f.attrs["format_version"] = version
            """
        let made = try ExternalProcess.python(["-c", script, dir.file("c.h5"), dir.file("a.h5"), dir.file("a99.h5")])
        try #require(made.status == 0, "\(made.stderr)")
        #expect(FileKind.detect(dir.file("c.h5")) == .checkpoint(version: 2))
        #expect(FileKind.detect(dir.file("a.h5")) == .adapter(version: 2))
        #expect(!FileKind.detect(dir.file("a.h5")).isVersion1)
        #expect(FileKind.detect(dir.file("a99.h5")) == .adapter(version: 99))
        #expect(FileKind.detect(dir.file("a99.h5")).isVersion1)
    }

    @Test func safetensorsPEFTAndModelFolders() throws {
        let interop = fixtures + "/interop"
        #expect(FileKind.detect(interop + "/base_state_dict.safetensors") == .safetensors)
        #expect(FileKind.detect(interop + "/peft_lora") == .peftFolder(PEFTFolder(folder: interop + "/peft_lora")))
        let dir = try TemporaryDirectory()
        let model = dir.file("model")
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: model + "/config.json"))
        #expect(FileKind.detect(model) == .other("a folder with config.json but neither model.safetensors nor model.safetensors.index.json"))
        try FileManager.default.copyItem(atPath: interop + "/base_state_dict.safetensors", toPath: model + "/model.safetensors")
        guard case .modelFolder(let folder) = FileKind.detect(model) else { Issue.record("not a model folder"); return }
        #expect(folder.weights == .single(path: model + "/model.safetensors"))
        #expect(FileKind.detect(dir.path) == .other("a folder with neither config.json nor adapter_config.json"))
    }

    @Test func otherThingsAreDescribed() throws {
        let dir = try TemporaryDirectory()
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13]
        try Data(png).write(to: URL(fileURLWithPath: dir.file("x.png")))
        try Data().write(to: URL(fileURLWithPath: dir.file("empty")))
        try Data("{\"a\": 1}".utf8).write(to: URL(fileURLWithPath: dir.file("x.json")))
        #expect(mkfifo(dir.file("fifo"), 0o600) == 0)
        #expect(FileKind.detect(dir.file("x.png")) == .other("a PNG image"))
        #expect(FileKind.detect(dir.file("empty")) == .other("an empty file"))
        #expect(FileKind.detect(dir.file("x.json")) == .other("a JSON or text file"))
        #expect(FileKind.detect(dir.file("fifo")) == .other("a FIFO (named pipe)"))
        #expect(FileKind.detect("/dev/null") == .other("a device"))
        #expect(FileKind.detect(dir.file("nothing")) == .missing)
        #expect(FileKind.detect(dir.file("x.png") + "/below") == .missing)
        #expect(FileKind.missing.summary == "nothing (no such file or folder)")
    }
}
