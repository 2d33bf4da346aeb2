import Foundation
import Testing
import AdapterTestSupport

/// `adaptool inspect`, run as a user would, on every fixture and on corrupted copies of them.
@Suite struct InspectCLITests {
    static let expectations = (try? FixtureExpectations.load()) ?? FixtureExpectations(valid: [:], invalid: [:])
    static var validNames: [String] { expectations.valid.keys.sorted() }
    static var invalidNames: [String] { expectations.invalid.keys.sorted() }

    /// Runs the binary under `timeout`, so a file that made HDF5 loop could not hang the test run.
    static func inspect(_ arguments: [String]) throws -> ProcessResult {
        try ExternalProcess.run("/usr/bin/timeout", ["-s", "KILL", "60", PackagePaths.adaptoolBinary, "inspect"] + arguments)
    }

    @Test(arguments: validNames)
    func printsTablesAndJSONForEveryValidFixture(_ name: String) throws {
        let path = FixtureExpectations.path(name)
        let kind = try #require(Self.expectations.valid[name]?.kind)
        let text = try Self.inspect([path])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains(kind == "foreign" ? "HDF5 file, not an adaptool" : "adaptool \(kind) (format v1)"))
        if kind != "foreign" { #expect(text.stdout.contains("stored bytes") && text.stdout.contains("compression")) }
        if kind == "adapter" { #expect(text.stdout.contains("share of the base unknown")) }

        let json = try Self.inspect(["--json", path])
        #expect(json.status == 0, "\(json.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(object["kind"] as? String == kind)
        if let fingerprint = Self.expectations.valid[name]?.fingerprint {
            #expect((object["checkpoint"] as? [String: Any])?["fingerprint"] as? String == fingerprint)
        }
    }

    @Test(arguments: validNames.filter { !$0.hasPrefix("foreign") })
    func verifyPassesOnValidFixtures(_ name: String) throws {
        let result = try Self.inspect(["--verify", FixtureExpectations.path(name)])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("verification:") && !result.stdout.contains("FAIL"))
    }

    @Test(arguments: invalidNames)
    func reportsEveryInvalidFixtureOnOneLine(_ name: String) throws {
        let expected = try #require(Self.expectations.invalid[name])
        let result = try Self.inspect(["--verify", FixtureExpectations.path(name)])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].hasPrefix("adaptool: error: "), "\(result.stderr)")
        // inspect reads a file with an unknown format attribute as a foreign HDF5 file.
        let text = expected.inspectError ?? expected.error
        #expect(result.stderr.contains(text), "\(name): \(result.stderr)")
    }

    @Test func verifyReportsTheFailedCheckInJSONToo() throws {
        let result = try Self.inspect(["--verify", "--json", FixtureExpectations.path("nan_weight.h5")])
        #expect(result.status == 1)
        #expect(result.stderr.contains("non-finite values (NaN or ±Inf): 1 in fc2"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let checks = try #require(object["verification"] as? [[String: Any]])
        #expect(checks.contains { $0["name"] as? String == "finite" && $0["passed"] as? Bool == false })
    }

    @Test func baseGivesTheShareOfParameters() throws {
        let result = try Self.inspect([FixtureExpectations.path("adapter_dora_output.h5"), "--base", FixtureExpectations.path("checkpoint.h5")])
        #expect(result.status == 0, "\(result.stderr)")
        // fc1: 2×12 + 8×2 + 8; fc2: 2×8 + 3×2 + 3 → 73 trainable of 131.
        #expect(result.stdout.contains("73 parameters, 55.725% of the base's 131"))
        #expect(result.stdout.contains("(matches --base)"))
    }

    @Test func missingFileIsOneErrorLine() throws {
        let result = try Self.inspect(["/nonexistent/file.h5"])
        #expect(result.status == 1 && !result.crashed)
        #expect(result.stderr.hasPrefix("adaptool: error: ") && result.stderr.contains("/nonexistent/file.h5"))
    }

    // MARK: Corruption sweep

    /// A damaged file must end in a clean result or one error line — never a signal.
    private func expectNoCrash(_ path: String, _ what: String, failures: inout [String]) throws {
        let result = try Self.inspect(["--verify", path])
        let stderrLines = result.stderr.split(separator: "\n")
        let clean = !result.crashed && (result.status == 0
            || (result.status == 1 && stderrLines.count == 1 && stderrLines[0].hasPrefix("adaptool: error: ")))
        if !clean {
            failures.append("\(what): status \(result.status)\(result.crashed ? " (signal)" : "") stderr: \(result.stderr.prefix(300))")
        }
    }

    /// Flips that crashed or hung HDF5 1.10.8 before the header pre-check (HDF5HeaderCheck), one per
    /// failure mode found by sweeps: each must now be refused as a corrupt file.
    static let knownCrashers: [(fixture: String, flips: [(offset: Int, mask: UInt8)])] = [
        ("checkpoint.h5", [(4585, 175), (2459, 128), (7440, 162)]),            // global heap object past its collection
        ("checkpoint.h5", [(436, 153), (3030, 232), (1725, 184)]),             // heap reference to a missing object
        ("checkpoint.h5", [(3679, 201), (2667, 232), (2336, 195)]),            // length mismatch: H5HG_read hang
        ("checkpoint_compressed.h5", [(1816, 176)]),                           // attribute dataspace version: H5Aiterate2
        ("checkpoint_compressed.h5", [(3588, 17), (292, 7), (1316, 27)]),      // shared flag on an attribute message
        ("checkpoint_compressed.h5", [(2457, 9), (6738, 223)]),                // zero-size heap free space: endless loop
        ("foreign.h5", [(1984, 67), (192, 11)]),                               // link message: H5Literate
        ("checkpoint_libver_latest.h5", [(3447, 105), (2583, 228), (2882, 53)]),  // dense attribute storage
        ("checkpoint.h5", [(1672, 90)]),                                       // vlen base type HDF5 cannot decode
    ]

    /// Flips that made adaptool's own Swift code trap (an out-of-range conversion): they must end cleanly.
    static let knownTraps: [(fixture: String, flips: [(offset: Int, mask: UInt8)])] = [
        ("adapter_dora_input.h5", [(8342, 247), (3663, 236), (8025, 195)]),  // storage size beyond Int.max
        ("foreign.h5", [(909, 236), (6289, 132)]),
    ]

    /// Writes `fixture` with `flips` applied to `path`, returning `path`.
    static func writeFlipped(_ fixture: String, _ flips: [(offset: Int, mask: UInt8)], to path: String) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: FixtureExpectations.path(fixture))))
        for flip in flips { bytes[flip.offset] ^= flip.mask }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func knownHDF5CrashersAreRefused() throws {
        let dir = try TemporaryDirectory()
        for (index, crasher) in Self.knownCrashers.enumerated() {
            let path = try Self.writeFlipped(crasher.fixture, crasher.flips, to: dir.file("crasher-\(index).h5"))
            let result = try Self.inspect(["--verify", path])
            #expect(!result.crashed && result.status == 1, "\(crasher.fixture) \(crasher.flips): status \(result.status)")
            #expect(result.stderr.hasPrefix("adaptool: error: ") && result.stderr.contains("corrupt file"), "\(result.stderr.prefix(200))")
        }
    }

    @Test func knownTrapsEndCleanly() throws {
        let dir = try TemporaryDirectory()
        for (index, trap) in Self.knownTraps.enumerated() {
            let path = try Self.writeFlipped(trap.fixture, trap.flips, to: dir.file("trap-\(index).h5"))
            var failures: [String] = []
            try expectNoCrash(path, "\(trap.fixture) \(trap.flips)", failures: &failures)
            #expect(failures.isEmpty, "\(failures)")
        }
    }

    @Test func truncatedFilesNeverCrash() throws {
        let dir = try TemporaryDirectory()
        var failures: [String] = []
        for fixture in ["checkpoint_compressed.h5", "adapter_dora_output.h5"] {
            let bytes = try Data(contentsOf: URL(fileURLWithPath: FixtureExpectations.path(fixture)))
            // Dense over the first 2 KiB (superblock, root group, B-trees), then spread to the end.
            let offsets = Set(stride(from: 0, to: 2048, by: 64)).union(stride(from: 2048, to: bytes.count, by: max(1, bytes.count / 30)))
            #expect(offsets.count >= 50)
            for offset in offsets.sorted() {
                let path = dir.file("truncated-\(offset)-\(fixture)")
                try bytes.prefix(offset).write(to: URL(fileURLWithPath: path))
                try expectNoCrash(path, "\(fixture) truncated to \(offset) bytes", failures: &failures)
                try? FileManager.default.removeItem(atPath: path)
            }
        }
        #expect(failures.isEmpty, "\(failures.count) crashes or unclean exits:\n\(failures.joined(separator: "\n"))")
    }

    @Test func flippedBytesNeverCrash() throws {
        let dir = try TemporaryDirectory()
        var failures: [String] = []
        var rng = SeededGenerator(seed: 2024)
        let fixtures = ["checkpoint.h5", "checkpoint_compressed.h5", "adapter_lora.h5", "foreign.h5", "checkpoint_libver_latest.h5"]
        var flippedFiles = 0
        for fixture in fixtures {
            let original = try Data(contentsOf: URL(fileURLWithPath: FixtureExpectations.path(fixture)))
            for round in 0..<50 {
                var bytes = [UInt8](original)
                // Most metadata sits in the first few KiB; aim two thirds of the flips there.
                let window = round % 3 == 2 ? bytes.count : min(bytes.count, 4096)
                var flips: [String] = []
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let offset = Int.random(in: 0..<window, using: &rng)
                    let mask = UInt8.random(in: 1...255, using: &rng)
                    bytes[offset] ^= mask
                    flips.append("\(offset)^\(mask)")
                }
                let path = dir.file("flipped-\(round)-\(fixture)")
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                try expectNoCrash(path, "\(fixture) with bytes flipped at \(flips.joined(separator: ","))", failures: &failures)
                try? FileManager.default.removeItem(atPath: path)
                flippedFiles += 1
            }
        }
        #expect(flippedFiles >= 200)
        #expect(failures.isEmpty, "\(failures.count) crashes or unclean exits:\n\(failures.joined(separator: "\n"))")
    }
}
