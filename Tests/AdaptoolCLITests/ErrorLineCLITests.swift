import Foundation
import Testing
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
}
