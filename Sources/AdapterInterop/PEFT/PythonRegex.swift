/// Python `re` syntax, as PEFT uses it for `rank_pattern` / `alpha_pattern` keys, translated to an
/// ICU expression (`NSRegularExpression`) that matches exactly the same strings.
///
/// PEFT embeds each key in the larger expression `(.*\.)?(KEY)$` and calls `re.match`. ICU reads
/// many of the same characters differently (`\Q…\E`, `\p{L}`, `[[:alpha:]]`, `(?i)` in the middle,
/// `.` and `$` around line terminators), so handing the key to ICU as-is gave some keys a meaning
/// PEFT refuses and others a different meaning. Instead the whole expression is parsed the way
/// Python's `sre_parse` parses it: what Python refuses is refused with Python's reason, a few
/// constructs Python accepts but adaptool cannot translate exactly (backreferences, conditionals,
/// the `a` and `x` flags, huge repeat counts, deep nesting) are refused by name, and everything
/// else is rewritten with unambiguous ICU syntax (every literal as `\x{…}`, `.` as `[^\n]`, `$` as
/// `(?=\n?\z)`, `\Z` as `\z`).
enum PythonRegex {
    /// Why a key cannot be used: `pythonRefuses` tells Python's own refusals from adaptool's.
    struct Refusal: Error {
        /// The reason, in Python's words where Python refuses.
        let reason: String
        /// True when Python's `re` (and so PEFT) refuses the expression too.
        let pythonRefuses: Bool
    }

    /// Python's `MAXREPEAT` on 64-bit builds: a repeat bound at or above it is an OverflowError there.
    static let pythonMaxRepeat: UInt64 = 4_294_967_295
    /// The largest repeat bound translated: ICU refuses bounds near 2^31 and compiles large ones
    /// slowly; no module name is anywhere near this long.
    static let maxRepeat: UInt64 = 100_000
    /// The deepest group nesting parsed: the parser recurses per level (Python itself stops with a
    /// RecursionError a few hundred levels down).
    static let maxNesting = 100

    /// The ICU pattern for which a match anchored at the start is exactly `re.match(expression, s)`.
    static func icuPattern(python expression: String) throws(Refusal) -> String {
        var parser = Parser(scalars: Array(expression.unicodeScalars))
        let body = try parser.alternation()
        guard parser.position == parser.scalars.count else { throw Refusal(reason: "unbalanced parenthesis", pythonRefuses: true) }
        return "\\A(?:" + body.text + ")"
    }
}

/// One parsed piece of the expression: its ICU text, its width range (for look-behinds, which
/// Python requires to be of fixed width), and whether a quantifier may follow it.
private struct Piece {
    var text: String
    var min: UInt64
    var max: UInt64?
    var repeatable = true
}

/// A recursive-descent reader following `sre_parse._parse` and `_class_escape` / `_escape`.
private struct Parser {
    let scalars: [Unicode.Scalar]
    var position = 0
    var dotAll = false
    var multiline = false
    var depth = 0
    var groupNames: Set<String> = []

    init(scalars: [Unicode.Scalar]) { self.scalars = scalars }

    private var next: Unicode.Scalar? { position < scalars.count ? scalars[position] : nil }

    private mutating func take() -> Unicode.Scalar? {
        guard let scalar = next else { return nil }
        position += 1
        return scalar
    }

    private mutating func match(_ scalar: Unicode.Scalar) -> Bool {
        guard next == scalar else { return false }
        position += 1
        return true
    }

    private func python(_ reason: String) -> PythonRegex.Refusal { .init(reason: reason, pythonRefuses: true) }
    private func unsupported(_ what: String) -> PythonRegex.Refusal {
        .init(reason: "\(what), which adaptool does not evaluate", pythonRefuses: false)
    }

    // MARK: Structure

    mutating func alternation() throws(PythonRegex.Refusal) -> Piece {
        var branches = [try sequence()]
        while match("|") { branches.append(try sequence()) }
        let maxima = branches.map(\.max)
        return Piece(text: branches.map(\.text).joined(separator: "|"), min: branches.map(\.min).min() ?? 0,
                     max: maxima.contains(where: { $0 == nil }) ? nil : maxima.compactMap { $0 }.max() ?? 0)
    }

    private mutating func sequence() throws(PythonRegex.Refusal) -> Piece {
        var result = Piece(text: "", min: 0, max: 0)
        while true {
            try skipComments()
            guard let scalar = next, scalar != "|", scalar != ")" else { return result }
            let piece = try quantified(try atom())
            result.text += piece.text
            result.min = Self.sum(result.min, piece.min)
            result.max = result.max.flatMap { total in piece.max.map { Self.sum(total, $0) } }
        }
    }

    /// `(?#…)` adds nothing, not even a boundary: `a(?#x)*` repeats `a`.
    private mutating func skipComments() throws(PythonRegex.Refusal) {
        while position + 2 < scalars.count, scalars[position] == "(", scalars[position + 1] == "?", scalars[position + 2] == "#" {
            position += 3
            while true {
                guard let scalar = take() else { throw python("missing ), unterminated comment") }
                if scalar == ")" { break }
            }
        }
    }

    private mutating func atom() throws(PythonRegex.Refusal) -> Piece {
        let start = position
        guard let scalar = take() else { throw python("unexpected end of pattern") }
        switch scalar {
        case "(": return try group()
        case "[": return try characterClass()
        case "\\": return try escape()
        case ".": return Piece(text: dotAll ? "[\\s\\S]" : "[^\\n]", min: 1, max: 1)
        case "^": return Piece(text: multiline ? "(?:\\A|(?<=\\n))" : "\\A", min: 0, max: 0, repeatable: false)
        case "$": return Piece(text: multiline ? "(?=\\n|\\z)" : "(?=\\n?\\z)", min: 0, max: 0, repeatable: false)
        case "*", "+", "?": throw python("nothing to repeat")
        case "{":
            position = start
            if try repeatBounds() != nil { throw python("nothing to repeat") }
            position = start + 1
            return Self.literal(scalar.value)
        default: return Self.literal(scalar.value)
        }
    }

    private mutating func quantified(_ atom: Piece) throws(PythonRegex.Refusal) -> Piece {
        try skipComments()
        let bounds: (low: UInt64, high: UInt64?)
        switch next {
        case "*": position += 1; bounds = (0, nil)
        case "+": position += 1; bounds = (1, nil)
        case "?": position += 1; bounds = (0, 1)
        case "{":
            guard let parsed = try repeatBounds() else { return atom }
            bounds = parsed
        default: return atom
        }
        guard atom.repeatable else { throw python("nothing to repeat") }
        let mode = match("?") ? "?" : match("+") ? "+" : ""
        try skipComments()
        let start = position
        if let scalar = next, scalar == "*" || scalar == "+" || scalar == "?" { throw python("multiple repeat") }
        if next == "{", try repeatBounds() != nil { throw python("multiple repeat") }
        position = start
        let quantifier: String
        switch bounds {
        case (0, nil): quantifier = "*"
        case (1, nil): quantifier = "+"
        case (let low, nil): quantifier = "{\(low),}"
        case (let low, let high?): quantifier = low == high ? "{\(low)}" : "{\(low),\(high)}"
        }
        let max: UInt64? = bounds.high.map { Self.product(atom.max, $0) } ?? (atom.max == 0 ? 0 : nil)
        return Piece(text: "(?:" + atom.text + ")" + quantifier + mode, min: Self.product(atom.min, bounds.low), max: max)
    }

    /// `{m}`, `{m,}`, `{,n}`, `{m,n}` at the current `{`, consumed; nil (nothing consumed) when the
    /// text is not a repeat, which Python then reads as a literal `{`.
    private mutating func repeatBounds() throws(PythonRegex.Refusal) -> (low: UInt64, high: UInt64?)? {
        let start = position
        guard match("{"), next != "}" else { position = start; return nil }
        let low = digits()
        let high = match(",") ? digits() : low
        guard match("}") else { position = start; return nil }
        let lowValue = try bound(low) ?? 0, highValue = try bound(high)
        if let highValue, highValue < lowValue { throw python("min repeat greater than max repeat") }
        if lowValue > PythonRegex.maxRepeat || (highValue ?? 0) > PythonRegex.maxRepeat {
            throw unsupported("a repeat count above \(PythonRegex.maxRepeat)")
        }
        return (lowValue, highValue)
    }

    private mutating func digits() -> String {
        var text = ""
        while let scalar = next, ("0"..."9").contains(scalar) { text.unicodeScalars.append(scalar); position += 1 }
        return text
    }

    private func bound(_ text: String) throws(PythonRegex.Refusal) -> UInt64? {
        guard !text.isEmpty else { return nil }
        guard let value = UInt64(text), value < PythonRegex.pythonMaxRepeat else { throw python("the repetition number is too large") }
        return value
    }

    // MARK: Groups

    private mutating func group() throws(PythonRegex.Refusal) -> Piece {
        guard depth < PythonRegex.maxNesting else { throw unsupported("groups nested more than \(PythonRegex.maxNesting) deep") }
        guard match("?") else { return try wrapped("(") }
        guard let kind = take() else { throw python("unexpected end of pattern") }
        switch kind {
        case ":": return try wrapped("(?:")
        case ">": return try wrapped("(?>")
        case "=", "!": return Piece(text: "(?" + String(kind) + (try body()).text + ")", min: 0, max: 0)
        case "<":
            guard let direction = take() else { throw python("unexpected end of pattern") }
            guard direction == "=" || direction == "!" else { throw python("unknown extension ?<\(direction)") }
            let inner = try body()
            guard inner.max == inner.min else { throw python("look-behind requires fixed-width pattern") }
            return Piece(text: "(?<" + String(direction) + inner.text + ")", min: 0, max: 0)
        case "P":
            if match("=") { throw unsupported("a backreference (?P=…)") }
            guard match("<") else { throw python("unknown extension ?P" + (take().map { String($0) } ?? "")) }
            var name = ""
            while let scalar = take(), scalar != ">" { name.unicodeScalars.append(scalar) }
            guard position <= scalars.count, scalars[position - 1] == ">" else { throw python("missing >, unterminated name") }
            guard Self.isIdentifier(name) else { throw python(name.isEmpty ? "missing group name" : "bad character in group name '\(name)'") }
            guard groupNames.insert(name).inserted else { throw python("redefinition of group name '\(name)'") }
            return try wrapped("(")  // names matter only to backreferences, which are refused
        case "(": throw unsupported("a conditional group (?(…)…)")
        default:
            position -= 1
            return try flagGroup()
        }
    }

    /// `(?flags:…)`; global `(?flags)` is never at the start of PEFT's `(.*\.)?(KEY)$`, so Python refuses it.
    private mutating func flagGroup() throws(PythonRegex.Refusal) -> Piece {
        var on = Set<Unicode.Scalar>(), off = Set<Unicode.Scalar>()
        while let scalar = next, "aiLmsux".unicodeScalars.contains(scalar) { on.insert(scalar); position += 1 }
        if match("-") {
            while let scalar = next, "aiLmsux".unicodeScalars.contains(scalar) { off.insert(scalar); position += 1 }
            if off.isEmpty { throw python("missing flag") }
            if !off.isDisjoint(with: ["a", "L", "u"]) { throw python("bad inline flags: cannot turn off flags 'a', 'u' and 'L'") }
        }
        if on.isEmpty, off.isEmpty { throw python("unknown extension ?" + (next.map { String($0) } ?? "")) }
        if on.contains("L") { throw python("bad inline flags: cannot use 'L' flag with a str pattern") }
        if !on.isDisjoint(with: off) { throw python("bad inline flags: flag turned on and off") }
        if match(")") {
            throw python(off.isEmpty ? "global flags not at the start of the expression" : "missing :")
        }
        guard match(":") else { throw python(next == nil ? "missing -, : or )" : "unknown flag") }
        if on.contains("x") || off.contains("x") { throw unsupported("the verbose flag x") }
        if on.contains("a") { throw unsupported("the ASCII flag a") }
        let saved = (dotAll, multiline)
        if on.contains("s") { dotAll = true } else if off.contains("s") { dotAll = false }
        if on.contains("m") { multiline = true } else if off.contains("m") { multiline = false }
        defer { (dotAll, multiline) = saved }
        let icase = on.contains("i") ? "i" : off.contains("i") ? "-i" : ""
        return try wrapped("(?" + icase + ":")
    }

    /// The group's alternation up to and including its `)`.
    private mutating func body() throws(PythonRegex.Refusal) -> Piece {
        depth += 1
        defer { depth -= 1 }
        let inner = try alternation()
        guard match(")") else { throw python("missing ), unterminated subpattern") }
        return inner
    }

    /// A group that consumes what its body does, opened with `prefix`.
    private mutating func wrapped(_ prefix: String) throws(PythonRegex.Refusal) -> Piece {
        let inner = try body()
        return Piece(text: prefix + inner.text + ")", min: inner.min, max: inner.max)
    }

    private static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || first.properties.isXIDStart else { return false }
        return name.unicodeScalars.dropFirst().allSatisfy { $0 == "_" || $0.properties.isXIDContinue }
    }

    // MARK: Escapes and classes

    private mutating func escape() throws(PythonRegex.Refusal) -> Piece {
        guard let scalar = take() else { throw python("bad escape (end of pattern)") }
        switch scalar {
        case "A": return Piece(text: "\\A", min: 0, max: 0, repeatable: false)
        case "Z": return Piece(text: "\\z", min: 0, max: 0, repeatable: false)
        case "b", "B": return Piece(text: "\\" + String(scalar), min: 0, max: 0, repeatable: false)
        case "d", "D", "s", "S", "w", "W": return Piece(text: "\\" + String(scalar), min: 1, max: 1)
        case "0": return Self.literal(octal(first: 0, more: 2))
        case "1"..."9":
            if ("1"..."7").contains(scalar), position + 1 < scalars.count,
               ("0"..."7").contains(scalars[position]), ("0"..."7").contains(scalars[position + 1]) {
                let value = octal(first: scalar.value - 48, more: 2)
                guard value <= 0o377 else { throw python("octal escape value outside of range 0-0o377") }
                return Self.literal(value)
            }
            throw unsupported("a backreference \\\(scalar)")
        case "N": return Piece(text: try namedCharacter(), min: 1, max: 1)
        default: return Self.literal(try literalEscape(scalar))
        }
    }

    private mutating func characterClass() throws(PythonRegex.Refusal) -> Piece {
        var text = match("^") ? "[^" : "["
        var empty = true
        while true {
            guard let scalar = take() else { throw python("unterminated character set") }
            if scalar == "]", !empty { break }
            empty = false
            let low = scalar == "\\" ? try classEscape() : .scalar(scalar.value)
            guard match("-") else { text += low.text; continue }
            guard let end = take() else { throw python("unterminated character set") }
            if end == "]" { text += low.text + Self.literalText(0x2D); break }
            let high = end == "\\" ? try classEscape() : .scalar(end.value)
            guard case .scalar(let from) = low, case .scalar(let to) = high, from <= to else { throw python("bad character range") }
            text += Self.literalText(from) + "-" + Self.literalText(to)
        }
        return Piece(text: text + "]", min: 1, max: 1)
    }

    /// One member of a character class after its backslash.
    private enum ClassItem {
        case scalar(UInt32)
        case category(String)
        var text: String {
            switch self {
            case .scalar(let value): return Parser.literalText(value)
            case .category(let text): return text
            }
        }
    }

    private mutating func classEscape() throws(PythonRegex.Refusal) -> ClassItem {
        guard let scalar = take() else { throw python("bad escape (end of pattern)") }
        switch scalar {
        case "d", "D", "s", "S", "w", "W": return .category("\\" + String(scalar))
        case "b": return .scalar(8)
        case "0"..."7":
            let value = octal(first: scalar.value - 48, more: 2)
            guard value <= 0o377 else { throw python("octal escape value outside of range 0-0o377") }
            return .scalar(value)
        case "N": throw unsupported("a named character \\N{…} inside a character set")
        default: return .scalar(try literalEscape(scalar))
        }
    }

    /// Escapes that stand for one character, the same in and out of a class; ASCII letters Python
    /// does not know are errors there ("bad escape").
    private mutating func literalEscape(_ scalar: Unicode.Scalar) throws(PythonRegex.Refusal) -> UInt32 {
        let controls: [Unicode.Scalar: UInt32] = ["a": 7, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11]
        if let value = controls[scalar] { return value }
        switch scalar {
        case "x", "u", "U":
            let count = scalar == "x" ? 2 : scalar == "u" ? 4 : 8
            var hex = ""
            while hex.unicodeScalars.count < count, let digit = next, digit.properties.isASCIIHexDigit { hex.unicodeScalars.append(digit); position += 1 }
            guard hex.unicodeScalars.count == count, let value = UInt32(hex, radix: 16) else { throw python("incomplete escape \\\(scalar)\(hex)") }
            guard Unicode.Scalar(value) != nil else { throw python("bad escape \\\(scalar)\(hex)") }
            return value
        default:
            if scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) { throw python("bad escape \\\(scalar)") }
            return scalar.value
        }
    }

    /// `\N{NAME}` after its `N`, passed to ICU, which knows the same Unicode names.
    private mutating func namedCharacter() throws(PythonRegex.Refusal) -> String {
        guard match("{") else { throw python("missing {") }
        var name = ""
        while let character = take(), character != "}" { name.unicodeScalars.append(character) }
        guard scalars[position - 1] == "}", !name.isEmpty, name.unicodeScalars.allSatisfy({ $0.isASCII && $0 != "\\" && $0 != "{" }) else {
            throw python("missing character name")
        }
        return "\\N{" + name + "}"
    }

    private mutating func octal(first: UInt32, more: Int) -> UInt32 {
        var value = first
        for _ in 0..<more {
            guard let digit = next, ("0"..."7").contains(digit) else { break }
            value = value * 8 + digit.value - 48
            position += 1
        }
        return value
    }

    // MARK: Helpers

    static func literal(_ value: UInt32) -> Piece { Piece(text: literalText(value), min: 1, max: 1) }

    /// A character as ICU reads it literally everywhere: ASCII letters and digits as themselves,
    /// anything else as `\x{…}` (so `[`, `&`, `-` inside a class, and `#` or space, mean themselves).
    static func literalText(_ value: UInt32) -> String {
        if let scalar = Unicode.Scalar(value), scalar.isASCII, scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
            return String(scalar)
        }
        return "\\x{" + String(value, radix: 16) + "}"
    }

    static func sum(_ a: UInt64, _ b: UInt64) -> UInt64 { a.addingReportingOverflow(b).overflow ? .max : a + b }

    static func product(_ a: UInt64?, _ b: UInt64) -> UInt64 {
        guard let a else { return .max }
        return a.multipliedReportingOverflow(by: b).overflow ? .max : a * b
    }
}
