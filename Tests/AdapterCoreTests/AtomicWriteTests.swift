import Foundation
import Testing
@testable import AdapterCore
import AdapterTestSupport

/// Outputs appear whole or not at all, never replace a file without `overwrite`, and leave no
/// temporary file behind when writing fails.
@Suite struct AtomicWriteTests {
    @Test func refusesToReplaceAnAdapterWithoutOverwrite() throws {
        let dir = try TemporaryDirectory()
        let base = Checkpoint.random(sizes: [5, 3], seed: 1)
        let path = dir.file("adapter.h5")
        try "precious".write(toFile: path, atomically: false, encoding: .utf8)
        let adapter = Adapter.random(for: base, method: .lora, rank: 2, seed: 2)
        #expect(throws: FormatError.outputExists(path: path)) { try adapter.write(to: path) }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
        try adapter.write(to: path, options: WriteOptions(overwrite: true))
        #expect(try Adapter.read(from: path) == adapter)
        #expect(try dir.contents() == ["adapter.h5"])
    }

    @Test func failedCheckpointLeavesNothingBehind() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("out.h5")
        let checkpoint = Checkpoint.random(sizes: [4, 3, 2], seed: 3)
        do {
            let writer = try CheckpointWriter(path: path, layerNames: checkpoint.layerNames, metadata: checkpoint.metadata)
            try writer.append(checkpoint.layers[0])
            // Out of order: the writer refuses, and dropping it must delete the partial temporary file.
            #expect(throws: FormatError.self) { try writer.append(checkpoint.layers[0]) }
            #expect(throws: FormatError.self) { try writer.finish() }
            #expect(try dir.contents().count == 1, "the temporary file exists while writing")
        }
        #expect(try dir.contents() == [])
    }

    @Test func invalidAdapterLeavesNothingBehind() throws {
        let dir = try TemporaryDirectory()
        let base = Checkpoint.random(sizes: [4, 3], seed: 4)
        var adapter = Adapter.random(for: base, method: .dora, rank: 2, seed: 5)
        adapter.layers[0].magnitude = [1]  // wrong length for norm_axis output
        #expect(throws: FormatError.self) { try adapter.write(to: dir.file("dora.h5")) }
        #expect(try dir.contents() == [])
    }

    @Test func destinationAppearingWhileWritingIsNotClobbered() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("race.h5")
        let checkpoint = Checkpoint.random(sizes: [3, 2], seed: 6)
        let writer = try CheckpointWriter(path: path, layerNames: checkpoint.layerNames, metadata: checkpoint.metadata)
        try writer.append(checkpoint.layers[0])
        try "someone else's".write(toFile: path, atomically: false, encoding: .utf8)
        #expect(throws: FormatError.self) { try writer.finish() }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "someone else's")
    }

    @Test func missingFolderIsReported() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("no/such/folder/base.h5")
        let error = #expect(throws: FormatError.self) { try Checkpoint.random(sizes: [2, 2], seed: 7).write(to: path) }
        #expect(error?.description.contains("does not exist") == true)
    }

    @Test func overwriteNeverReplacesAFolder() throws {
        let dir = try TemporaryDirectory()
        let folder = dir.file("d")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        try "keep".write(toFile: folder + "/keep.txt", atomically: false, encoding: .utf8)
        let checkpoint = Checkpoint.random(sizes: [3, 2], seed: 8)
        for path in [folder, folder + "/", dir.file("d/.."), dir.file(".")] {
            #expect(throws: FormatError.self) { try checkpoint.write(to: path, options: WriteOptions(overwrite: true)) }
        }
        #expect(throws: FormatError.outputIsFolder(path: folder)) { try checkpoint.write(to: folder, options: WriteOptions(overwrite: true)) }
        #expect(try String(contentsOfFile: folder + "/keep.txt", encoding: .utf8) == "keep")
        #expect(try dir.contents() == ["d"])
    }

    @Test func temporaryNamesStayWithinNameMax() {
        for name in [String(repeating: "a", count: 255), String(repeating: "é", count: 127), String(repeating: "🙂", count: 63) + "abc"] {
            let temporary = OutputDestination.temporaryPath(for: "/x/" + name, name: name)
            let component = temporary.split(separator: "/").last.map(String.init) ?? ""
            #expect(temporary.hasPrefix("/x/.") && component.contains(".tmp-"))
            #expect(component.utf8.count <= OutputDestination.maximumNameBytes, "\(component.utf8.count)")
            #expect(!component.unicodeScalars.contains("\u{FFFD}"), "a multi-byte character was cut")
        }
        #expect(OutputDestination.temporaryPath(for: "m.h5", name: "m.h5").hasPrefix(".m.h5.tmp-"))
    }

    @Test func inputsAreNeverModified() throws {
        // Reading, verifying and inspecting open files read-only: the bytes stay identical.
        let path = FixtureExpectations.path("checkpoint.h5")
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        _ = try FileInspection.inspect(path: path, verify: true)
        _ = try Checkpoint.read(from: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }
}
