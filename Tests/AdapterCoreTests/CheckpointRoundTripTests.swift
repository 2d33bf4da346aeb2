import Foundation
import Testing
@testable import AdapterCore
import AdapterTestSupport

@Suite struct CheckpointRoundTripTests {
    @Test func writesAndReadsBackEveryValue() throws {
        let dir = try TemporaryDirectory()
        let checkpoint = Checkpoint.random(sizes: [12, 5, 3], seed: 7)
        let path = dir.file("base.h5")
        let fingerprint = try checkpoint.write(to: path)
        let file = try CheckpointFile(path: path)
        #expect(file.storedFingerprint == fingerprint)
        #expect(file.layerNames == checkpoint.layerNames)
        let readBack = try file.read()
        #expect(readBack.layers == checkpoint.layers)
        #expect(readBack.metadata.createdBy == FormatV1.toolVersion)
        #expect(try file.verify().fingerprint == fingerprint)
    }

    @Test func refusesToOverwriteWithoutForce() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("base.h5")
        let checkpoint = Checkpoint.random(sizes: [4, 2], seed: 1)
        try checkpoint.write(to: path)
        #expect(throws: FormatError.outputExists(path: path)) { try checkpoint.write(to: path) }
        try checkpoint.write(to: path, options: WriteOptions(overwrite: true))
        #expect(try dir.contents() == ["base.h5"])
    }
}
