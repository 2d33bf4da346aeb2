import Foundation
import Testing
import AdapterCore
import AdapterTestSupport

/// Every failure is one `adaptool: error:` line, even when what it quotes holds control characters.
@Suite struct ErrorLineCLITests {
    @Test func controlCharactersInAPathAreEscaped() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("evil\nname\u{1b}[31m.h5")
        try Data("not hdf5".utf8).write(to: URL(fileURLWithPath: path))
        let result = try ExternalProcess.adaptool(["inspect", path])
        #expect(result.status == 1)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "\(result.stderr)")
        #expect(result.stderr.hasPrefix("adaptool: error: "))
        #expect(result.stderr.contains("evil\\u{a}name\\u{1b}[31m.h5"))
        #expect(!result.stderr.contains("\u{1b}"))
    }

    @Test(arguments: [["inspect"], ["merge", "BASE"], ["diff", "BASE"], ["eval", "--synthetic"]])
    func aMissingInputIsNamedPlainly(_ command: [String]) throws {
        let dir = try TemporaryDirectory()
        let base = dir.file("base.h5")
        try Checkpoint.random(sizes: [4, 3], seed: 1).write(to: base)
        let missing = dir.file("missing.h5")
        var arguments = command.map { $0 == "BASE" ? base : $0 } + [missing]
        if command.first == "merge" { arguments += ["-o", dir.file("out.h5")] }
        let result = try ExternalProcess.adaptool(arguments)
        #expect(result.status == (command.first == "diff" ? 2 : 1))
        #expect(result.stderr == "adaptool: error: \(missing): no such file\n", "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.h5")))
    }
}
