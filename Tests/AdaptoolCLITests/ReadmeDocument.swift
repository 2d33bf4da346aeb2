import Foundation

/// README.md's fenced code blocks, read the way the doc test runs them (README, Development):
/// ```` ```sh ```` and ```` ```bash ```` blocks are commands run top to bottom in one shell;
/// ```` ```console ```` blocks are samples (`$ command` lines, each followed by what the tool
/// prints, `…` alone on a line standing for any run of lines); ```` ```text ````, ```` ```swift ````
/// and the other known languages are not run here. A fence without a language is an error, so no
/// block goes unchecked by accident.
struct ReadmeDocument {
    /// One fenced block.
    struct Block {
        /// The word after the opening fence (`sh`, `console`, …).
        var language: String
        /// The 1-based README line number of the block's first content line.
        var firstLine: Int
        /// The content lines, without the fences.
        var lines: [String]
    }

    /// One `$ command` of a console block and the output the README shows for it.
    struct Sample {
        /// The 1-based README line of the `$ command` line.
        var line: Int
        /// The command, without `$ `.
        var command: String
        /// The lines the README shows under it (`…` lines included).
        var expected: [String]
    }

    /// Languages whose blocks are shell commands the doc test runs.
    static let shellLanguages: Set = ["sh", "bash"]
    /// The language of sample-output blocks the doc test re-runs and compares.
    static let sampleLanguage = "console"
    /// Languages that are shown, not run by the doc test: synopses (`text`), library examples
    /// (`swift`: run by LibraryExampleTests, LibraryWorkflowExampleTests, LibraryModelExampleTests), data.
    static let shownLanguages: Set = ["text", "swift", "json"]
    /// The line that stands for any run of output lines in a sample (nothing else is fuzzy).
    static let elision = "…"

    /// Every line of the README.
    let lines: [String]
    /// Its fenced blocks, in order.
    let blocks: [Block]

    /// Reads `path`; throws when a fence is unclosed, has no language or an unknown one.
    init(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        lines = text.components(separatedBy: "\n")
        var blocks: [Block] = []
        var open: Block?
        for (index, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("```") else {
                open?.lines.append(line)
                continue
            }
            if let block = open {
                blocks.append(block)
                open = nil
                continue
            }
            let language = String(trimmed.dropFirst(3)).trimmingCharacters(in: .whitespaces)
            let known = Self.shellLanguages.union(Self.shownLanguages).union([Self.sampleLanguage])
            guard known.contains(language) else {
                throw ReadmeError(line: index + 1, problem: "a fenced block needs one of the languages \(known.sorted()) (found \"\(language)\"); see README, Development")
            }
            open = Block(language: language, firstLine: index + 2, lines: [])
        }
        if let block = open { throw ReadmeError(line: block.firstLine - 1, problem: "the fenced block is never closed") }
        self.blocks = blocks
    }

    /// The samples of every console block, in order; throws when a console block does not start with `$ `.
    func samples() throws -> [Sample] {
        var samples: [Sample] = []
        for block in blocks where block.language == Self.sampleLanguage {
            for (offset, line) in block.lines.enumerated() {
                if line.hasPrefix("$ ") {
                    samples.append(Sample(line: block.firstLine + offset, command: String(line.dropFirst(2)), expected: []))
                } else if samples.last.map({ $0.line >= block.firstLine }) == true {
                    samples[samples.count - 1].expected.append(line)
                } else {
                    throw ReadmeError(line: block.firstLine + offset, problem: "a console block starts with a `$ command` line")
                }
            }
        }
        return samples
    }

    /// A bash script with the README's line numbers: line N of the script is line N of the README
    /// when it is in a shell block, a sample's `$ command` run with its stdout and stderr saved as
    /// `<outputs>/<N>.out` and `.err`, and empty otherwise. So bash's `$LINENO` is a README line.
    func script(sampleOutputs outputs: String) -> String {
        var script = [String](repeating: "", count: lines.count)
        for block in blocks {
            for (offset, line) in block.lines.enumerated() {
                let number = block.firstLine + offset
                if Self.shellLanguages.contains(block.language) {
                    script[number - 1] = line
                } else if block.language == Self.sampleLanguage, line.hasPrefix("$ ") {
                    script[number - 1] = "{ \(line.dropFirst(2)) ; } >\"\(outputs)/\(number).out\" 2>\"\(outputs)/\(number).err\" || true"
                }
            }
        }
        return script.joined(separator: "\n") + "\n"
    }

    /// Whether `actual` is what `expected` shows: equal line by line, where an elision line in
    /// `expected` matches any run of actual lines (none included).
    static func matches(_ expected: [String], _ actual: [String]) -> Bool {
        // reachable[j]: expected[..<i] can match actual[..<j].
        var reachable = [Bool](repeating: false, count: actual.count + 1)
        reachable[0] = true
        for line in expected {
            var next = [Bool](repeating: false, count: actual.count + 1)
            for j in 0...actual.count where reachable[j] {
                if line == elision {
                    for k in j...actual.count { next[k] = true }
                    break
                }
                if j < actual.count, actual[j] == line { next[j + 1] = true }
            }
            reachable = next
        }
        return reachable[actual.count]
    }
}

/// A README that the doc test cannot read: which line, what is wrong.
struct ReadmeError: Error, CustomStringConvertible {
    /// The 1-based README line.
    var line: Int
    /// What is wrong there.
    var problem: String
    /// `README.md:LINE: problem`.
    var description: String { "README.md:\(line): \(problem)" }
}
