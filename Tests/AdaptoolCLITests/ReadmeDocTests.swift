import AdapterTestSupport
import Foundation
import Testing

/// The README runs as written (README, Development): every ```` ```sh ```` block top to bottom in
/// one bash and one scratch folder, failing on the first command that fails; every
/// ```` ```console ```` sample re-run there and compared with what the README shows.
///
/// Not run as written, each checked another way (see ``ReadmeRun/makeTargetsNotRun``): `make demo`,
/// `make test`, `make fuzz` (and `release`, `build`, `bench`, `deps`, `clean`) are dry-run with
/// `make -n`; `make data` runs for real and finds the synthetic batches the test put where it
/// downloads to; `make install` runs for real into a scratch PREFIX (the environment's PREFIX
/// stands for the default /usr/local, HOME is a scratch folder for `PREFIX=$HOME/.local`) and the
/// installed `adaptool --version` must run. ```` ```swift ```` blocks are run by the library
/// example tests; ```` ```text ```` blocks are synopses.
@Suite struct ReadmeDocTests {
    @Test func readmeShellBlocksAndSamplesRunAsWritten() throws {
        let readme = try ReadmeDocument(path: PackagePaths.root + "/README.md")
        #expect(readme.blocks.contains { ReadmeDocument.shellLanguages.contains($0.language) })
        let run = try ReadmeRun()
        let outcome = try run.run(readme)
        #expect(!outcome.result.crashed)
        if outcome.result.status != 0 {
            Issue.record(Comment(rawValue: ReadmeRun.report(outcome, readme: readme)))
            return
        }
        let samples = try readme.samples()
        #expect(!samples.isEmpty)
        for sample in samples {
            let actual = try #require(outcome.sampleOutputs[sample.line], "README.md:\(sample.line): sample `\(sample.command)` did not run")
            if !ReadmeDocument.matches(sample.expected, actual) {
                Issue.record("README.md:\(sample.line): `\(sample.command)` prints something else than the README shows (make readme-samples regenerates the samples); it printed:\n\(actual.joined(separator: "\n"))")
            }
        }
    }

    /// The runner stops at the first failing command and names its README line, even inside a
    /// `make` the wrapper handles; an expected exit status written as `|| test $? -eq 1` passes.
    @Test func firstFailingCommandIsNamedByReadmeLine() throws {
        let run = try ReadmeRun()
        let readme = try document("""
            # title

            ```sh
            adaptool diff Fixtures/checkpoint.h5 Fixtures/nan_weight.h5 || test $? -eq 1
            adaptool inspect missing.h5
            touch never-created
            ```
            """, in: run)
        let outcome = try run.run(readme)
        #expect(outcome.result.status == 1)
        #expect(outcome.failure?.line == 5)
        #expect(outcome.failure?.status == 1)
        #expect(ReadmeRun.report(outcome, readme: readme).contains("README.md:5: `adaptool inspect missing.h5` failed with exit status 1"))
        #expect(ReadmeRun.report(outcome, readme: readme).contains("adaptool: error: missing.h5"))
        #expect(!FileManager.default.fileExists(atPath: run.scratch.file("never-created")))
    }

    /// `make` targets that cannot run in a test are dry-run, and a target that does not exist fails.
    @Test func makeTargetsNotRunAreDryRunAndMustExist() throws {
        let run = try ReadmeRun()
        let readme = try document("""
            ```sh
            make demo
            make no-such-target
            ```
            """, in: run)
        let outcome = try run.run(readme)
        #expect(outcome.result.stdout.contains("doc test: make demo checked with make -n, not run"))
        #expect(outcome.failure?.line == 3)
    }

    /// A sample's elision line stands for any run of lines, and nothing else is fuzzy.
    @Test func sampleElisionMatchesAnyRunOfLines() {
        #expect(ReadmeDocument.matches(["a", "…", "d"], ["a", "b", "c", "d"]))
        #expect(ReadmeDocument.matches(["a", "…", "b"], ["a", "b"]))
        #expect(ReadmeDocument.matches(["…"], []))
        #expect(!ReadmeDocument.matches(["a", "…", "d"], ["a", "b", "c"]))
        #expect(!ReadmeDocument.matches(["a", "b"], ["a", "b", "c"]))
        #expect(!ReadmeDocument.matches(["fingerprint cf93…3ec2"], ["fingerprint cf93a2193ec2"]))
    }

    /// A fence without a language is refused: every block is either run or declared not run.
    @Test func fenceWithoutLanguageIsRefused() throws {
        let tools = try TemporaryDirectory()
        try "text\n```\nadaptool --version\n```\n".write(toFile: tools.file("README.md"), atomically: true, encoding: .utf8)
        #expect(throws: ReadmeError.self) { try ReadmeDocument(path: tools.file("README.md")) }
    }

    /// Writes `text` as a README beside the run's tools and reads it.
    private func document(_ text: String, in run: ReadmeRun) throws -> ReadmeDocument {
        let path = run.tools.file("README.md")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try ReadmeDocument(path: path)
    }
}
