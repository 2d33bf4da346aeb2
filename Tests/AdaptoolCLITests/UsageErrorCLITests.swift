import AdapterTestSupport
import Foundation
import Testing

/// A usage error (a missing, malformed or refused argument) is one line, like every runtime
/// error, and says where the subcommand's help is; help and version still print in full.
@Suite struct UsageErrorCLITests {
    static let cases: [(arguments: [String], says: String)] = [
        (["merge"], "Missing expected argument '<base>' (see 'adaptool merge --help')"),
        (["train", "base", "--epochs", "0"], "--epochs must be at least 1 (see 'adaptool train base --help')"),
        (["train", "base", "--lr", "nan"], "(see 'adaptool train base --help')"),
        (["train", "base", "--batch-size", "1e12"], "(see 'adaptool train base --help')"),
        (["merge", "a.h5", "b.h5", "-o", "c.h5", "--compression-level", "99"], "(see 'adaptool merge --help')"),
        (["unmerge", "a.h5", "b.h5", "-o", "c.h5", "--scale", "-1"], "a negative number must be attached, as --scale=-1"),
        (["frobnicate"], "Unexpected argument 'frobnicate' (see 'adaptool --help')"),
        (["mrege", "a.h5"], "unknown command 'mrege' for 'adaptool'; did you mean 'merge'?"),
        (["train", "bsae"], "unknown command 'bsae' for 'adaptool train'; did you mean 'base'?"),
    ]

    @Test(arguments: cases.indices)
    func aUsageErrorIsOneLine(_ index: Int) throws {
        let (arguments, says) = Self.cases[index]
        let result = try ExternalProcess.adaptool(arguments)
        #expect(result.status == 64, "\(arguments): \(result.stderr)")
        #expect(!result.crashed)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(arguments): \(result.stderr)")
        #expect(result.stderr.hasPrefix("adaptool: error: "), "\(result.stderr)")
        #expect(result.stderr.contains(says), "\(arguments): \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test func helpAndVersionStillPrintInFull() throws {
        let help = try ExternalProcess.adaptool(["merge", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("USAGE: adaptool merge"), "\(help.stdout)")
        let bare = try ExternalProcess.adaptool([])
        #expect(bare.status == 0)
        #expect(bare.stdout.contains("SUBCOMMANDS"), "\(bare.stdout)")
        let version = try ExternalProcess.adaptool(["--version"])
        #expect(version.status == 0)
        #expect(!version.stdout.isEmpty)
    }
}
