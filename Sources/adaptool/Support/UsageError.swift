import ArgumentParser

/// The one-line wording of a command-line usage error: the parser's message, a "did you mean"
/// for a misspelt subcommand, and where the subcommand's help is.
enum UsageError {
    /// Subcommand names further than this many edits from what was typed are not suggested.
    static let suggestionDistance = 2

    /// `message` with a suggestion or a pointer to `adaptool SUBCOMMAND --help`.
    static func line(for message: String, arguments: [String], root: any ParsableCommand.Type) -> String {
        let (path, command) = subcommandPath(arguments, root: root)
        let text = message.split(separator: "\n").first.map(String.init) ?? message
        if let typed = arguments.dropFirst(path.count - 1).first, !typed.hasPrefix("-"),
           !command.configuration.subcommands.isEmpty,
           let suggestion = closest(to: typed, among: command.configuration.subcommands.map { $0._commandName }) {
            return "unknown command '\(typed)' for '\(path.joined(separator: " "))'; did you mean '\(suggestion)'?"
        }
        if let option = negativeNumberAfterOption(arguments) {
            return "\(text): a negative number must be attached, as \(option.name)=\(option.value) (see '\(path.joined(separator: " ")) --help')"
        }
        return "\(text) (see '\(path.joined(separator: " ")) --help')"
    }

    /// The first option followed by what reads as a negative number (`--scale -1`), which the
    /// parser takes for another option.
    static func negativeNumberAfterOption(_ arguments: [String]) -> (name: String, value: String)? {
        for (option, value) in zip(arguments, arguments.dropFirst()) where option.hasPrefix("--") && !option.contains("=") {
            if value.hasPrefix("-"), Double(value) != nil { return (option, value) }
        }
        return nil
    }

    /// The command names the arguments walk through (`["adaptool", "train", "base"]`) and the
    /// deepest command they reach.
    static func subcommandPath(_ arguments: [String], root: any ParsableCommand.Type) -> ([String], any ParsableCommand.Type) {
        var path = [root._commandName]
        var command = root
        for argument in arguments {
            guard let next = command.configuration.subcommands.first(where: { $0._commandName == argument }) else { break }
            path.append(argument)
            command = next
        }
        return (path, command)
    }

    /// The candidate nearest to `typed` by edit distance, when it is near enough to be a typo.
    static func closest(to typed: String, among candidates: [String]) -> String? {
        let scored = candidates.map { ($0, editDistance(typed, $0)) }.filter { $0.1 <= suggestionDistance }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Levenshtein distance (insertions, deletions, substitutions, and a swap of neighbours
    /// counting once, so `mrege` is one edit from `merge`).
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var table = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { table[i][0] = i }
        for j in 0...b.count { table[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                table[i][j] = min(table[i - 1][j] + 1, table[i][j - 1] + 1, table[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    table[i][j] = min(table[i][j], table[i - 2][j - 2] + 1)
                }
            }
        }
        return table[a.count][b.count]
    }
}
