import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// A failed write (issue 8, item 2) is one error line and exit 1: no crash inside libhdf5, no
/// HDF5-DIAG stack, no temporary file left behind, and an existing output untouched. A full disk
/// is a small tmpfs (needs root; skipped otherwise); a file-size limit (RLIMIT_FSIZE, EFBIG)
/// simulates one anywhere.
@Suite struct DiskFullCLITests {
    let dir: TemporaryDirectory
    let fixture: OutputFixture
    /// 318 KB of float32 weights and biases: more than the tmpfs holds.
    static let sizes = [300, 256, 10]

    init() throws {
        dir = try TemporaryDirectory()
        // Rank 64 makes the PEFT export (210 KB) too large for the tmpfs as well.
        fixture = try OutputFixture(in: dir.path, sizes: Self.sizes, rank: 64)
    }

    /// The commands that must fail cleanly, all replacing an existing output with `--force`.
    private func commands(output: String) -> [[String]] {
        fixture.writingCommands(output: output).filter { !["extract", "train"].contains($0[0]) }.map { $0 + ["--force"] }
    }

    @Test(.enabled(if: SmallFileSystem.isAvailable, "mounting a tmpfs needs root; skipped"))
    func fullDiskFailsCleanly() throws {
        let disk = try #require(SmallFileSystem(at: dir.file("disk"), kilobytes: 128))
        let output = disk.path + "/out"
        try "old".write(toFile: output, atomically: false, encoding: .utf8)
        for arguments in commands(output: output) {
            let result = try ExternalProcess.adaptool(arguments)
            OutputFixture.expectOneLineFailure(result, naming: output, arguments)
            #expect(!result.stderr.contains("HDF5-DIAG") as Bool, "\(arguments)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: disk.path) == ["out"], "\(arguments)")
            #expect(try String(contentsOfFile: output, encoding: .utf8) == "old", "\(arguments)")
        }
    }

    @Test func fileSizeLimitFailsCleanly() throws {
        let output = dir.file("out")
        try "old".write(toFile: output, atomically: false, encoding: .utf8)
        let dataBytes = (300 * 256 + 256 + 256 * 10 + 10) * 4
        // Below the data (refused when space is reserved; compressed data fails halfway), just
        // above it (the failure comes while HDF5 writes its metadata, after the reservation), and
        // so small that HDF5 cannot even close the emptied file (it must be left, not retried).
        let cases: [(limit: Int, applies: ([String]) -> Bool)] = [
            (100_000, { _ in true }), (dataBytes + 1024, Self.writesUncompressedHDF5), (1_000, { $0.contains("--compress") }),
        ]
        for (limit, applies) in cases {
            for arguments in commands(output: output) where applies(arguments) {
                let result = try Self.run(arguments, fileSizeLimit: limit)
                OutputFixture.expectOneLineFailure(result, naming: output, arguments + ["limit \(limit)"])
                #expect(!result.stderr.contains("HDF5-DIAG") as Bool, "\(arguments)")
                #expect(try OutputFixture.leftovers(in: dir.path) == [], "\(arguments)")
                #expect(try String(contentsOfFile: output, encoding: .utf8) == "old", "\(arguments)")
            }
        }
    }

    /// Whether the command writes a full-size HDF5 file (the others are smaller than the data).
    static func writesUncompressedHDF5(_ arguments: [String]) -> Bool {
        ["merge", "unmerge", "import"].contains(arguments[0]) && !arguments.contains("--compress")
    }

    /// Runs adaptool with RLIMIT_FSIZE set to `limit` bytes and SIGXFSZ ignored, so writes past
    /// the limit fail with EFBIG as they would on a full disk.
    static func run(_ arguments: [String], fileSizeLimit limit: Int) throws -> ProcessResult {
        let script = """
        import os, resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        limit = int(sys.argv[1])
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        os.execv(sys.argv[2], sys.argv[2:])
        """
        return try ExternalProcess.python(["-c", script, String(limit), PackagePaths.adaptoolBinary] + arguments)
    }
}

/// A tmpfs of a few kilobytes mounted for one test and unmounted when dropped.
final class SmallFileSystem {
    /// The mount point.
    let path: String

    /// Whether this process may mount a tmpfs (root, and a kernel that allows it here).
    static let isAvailable: Bool = {
        guard let probe = try? TemporaryDirectory() else { return false }
        return SmallFileSystem(at: probe.file("probe"), kilobytes: 64) != nil
    }()

    /// Mounts a tmpfs of `kilobytes` at `path` (created); nil when mounting fails.
    init?(at path: String, kilobytes: Int) {
        self.path = path
        guard (try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)) != nil,
              let result = try? ExternalProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(kilobytes)k", "tmpfs", path]),
              result.status == 0 else { return nil }
    }

    deinit { _ = try? ExternalProcess.run("/bin/umount", [path]) }
}
