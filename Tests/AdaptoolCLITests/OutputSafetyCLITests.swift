import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// Outputs never cost the user anything (issue 8, items 1 and 11): `--force` replaces a file or a
/// symbolic link (the link, never its target) and refuses a folder, `d/`, `.` and `..` with one
/// line, before any work; long legal output names work.
@Suite struct OutputSafetyCLITests {
    let dir: TemporaryDirectory
    let fixture: OutputFixture

    init() throws {
        dir = try TemporaryDirectory()
        fixture = try OutputFixture(in: dir.path, sizes: [12, 8, 3])
    }

    /// A folder `name` holding `keep.txt`.
    private func makeFolder(_ name: String) throws -> String {
        let folder = dir.file(name)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try "keep".write(toFile: folder + "/keep.txt", atomically: false, encoding: .utf8)
        return folder
    }

    @Test func forceRefusesAFolderForEveryCommand() throws {
        let folder = try makeFolder("d")
        for arguments in fixture.writingCommands(output: folder) {
            let result = try ExternalProcess.adaptool(arguments + ["--force"])
            OutputFixture.expectOneLineFailure(result, naming: folder, arguments)
            #expect(result.stderr.contains("is a folder"), "\(arguments): \(result.stderr)")
            #expect(try String(contentsOfFile: folder + "/keep.txt", encoding: .utf8) == "keep", "\(arguments)")
        }
        let metrics = try ExternalProcess.adaptool(["train", "base", "--synthetic", "--epochs", "1", "--hidden", "4",
                                                    "-o", dir.file("new.h5"), "--metrics", folder, "--force"])
        OutputFixture.expectOneLineFailure(metrics, naming: folder, ["train --metrics"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["keep.txt"])
        let contents = try dir.contents()
        #expect(contents == (fixture.inputs + ["d"]).sorted(), "\(contents)")
    }

    @Test func pathsNamingAFolderAreRefusedAndNothingIsDeleted() throws {
        let folder = try makeFolder("work/sub")
        for name in OutputFixture.inputNames {
            try FileManager.default.copyItem(atPath: dir.file(name), toPath: folder + "/" + name)
        }
        let before = try FileManager.default.subpathsOfDirectory(atPath: dir.path).sorted()
        for output in ["..", ".", "../sub/", folder + "/"] {
            // Run from inside work/sub, as a user holding the inputs there would.
            let result = try ExternalProcess.run("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", folder, PackagePaths.adaptoolBinary,
                                                             "merge", "base.h5", "lora.h5", "-o", output, "--force"])
            OutputFixture.expectOneLineFailure(result, naming: output, ["merge -o \(output)"])
            #expect(try FileManager.default.subpathsOfDirectory(atPath: dir.path).sorted() == before, "merge -o \(output)")
        }
    }

    @Test func forceReplacesASymlinkNotItsTarget() throws {
        let target = dir.file("target.txt"), link = dir.file("link.h5")
        try "target".write(toFile: target, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let refused = try ExternalProcess.adaptool(fixture.mergeArguments(output: link))
        OutputFixture.expectOneLineFailure(refused, naming: link, ["merge onto a link"])
        #expect(refused.stderr.contains("pass --force"))
        let replaced = try ExternalProcess.adaptool(fixture.mergeArguments(output: link) + ["--force"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect((try FileManager.default.attributesOfItem(atPath: link))[.type] as? FileAttributeType == .typeRegular)
        #expect(try Checkpoint.read(from: link).layerNames == ["fc1", "fc2"])
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "target")
    }

    @Test func aDanglingSymlinkIsAnExistingOutput() throws {
        let link = dir.file("dangling.h5")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: dir.file("nowhere"))
        let result = try ExternalProcess.adaptool(fixture.mergeArguments(output: link))
        OutputFixture.expectOneLineFailure(result, naming: link, ["merge onto a dangling link"])
        // Refused before any work (lstat), not found only when the finished file is linked into place.
        #expect(result.stderr.contains("already exists; pass --force to replace it"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("nowhere")))
    }

    @Test func longLegalOutputNamesWork() throws {
        // 243 bytes with two-byte characters (the temporary name must be cut on a character
        // boundary) and 255 bytes, Linux's NAME_MAX.
        let names = [String(repeating: "é", count: 120) + ".h5", String(repeating: "a", count: 252) + ".h5"]
        #expect(names.map(\.utf8.count) == [243, 255])
        for name in names {
            let merged = try ExternalProcess.adaptool(fixture.mergeArguments(output: dir.file(name)))
            #expect(merged.status == 0, "\(merged.stderr)")
            let exported = try ExternalProcess.adaptool(["export", dir.file("lora.h5"), "-o", dir.file("p" + name.dropFirst())])
            #expect(exported.status == 0, "\(exported.stderr)")
        }
        #expect(try dir.contents().count == fixture.inputs.count + 4)
        let tooLong = try ExternalProcess.adaptool(fixture.mergeArguments(output: dir.file(String(repeating: "b", count: 256))))
        OutputFixture.expectOneLineFailure(tooLong, naming: "bbbb", ["merge with a 256-byte name"])
    }
}
