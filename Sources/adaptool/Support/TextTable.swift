/// A plain aligned text table: numbers right-aligned, text left-aligned.
struct TextTable {
    /// Column headers.
    var headers: [String]
    /// The rows, each with one cell per header.
    var rows: [[String]] = []

    /// Adds a row; control characters in its cells (names from a file) are shown escaped.
    mutating func append(_ cells: [String]) { rows.append(cells.map(Console.printable)) }

    /// The table as lines of text.
    func render() -> String {
        let widths = headers.indices.map { column in
            ([headers[column]] + rows.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            let text = headers.indices.map { column in
                let cell = column < cells.count ? cells[column] : ""
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return Self.isNumeric(cell) ? padding + cell : cell + padding
            }.joined(separator: "  ")
            // Trailing blanks go in one backward scan: a regular expression like `\s+$` retries at
            // every blank of a long padding run, quadratic in a crafted 30,000-character name.
            let end = text.lastIndex(where: { !$0.isWhitespace }).map(text.index(after:)) ?? text.startIndex
            return String(text[..<end])
        }
        return ([line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
            + rows.map(line)).joined(separator: "\n")
    }

    private static func isNumeric(_ cell: String) -> Bool {
        !cell.isEmpty && cell.allSatisfy { "0123456789.,-+%eE×x ".contains($0) } && cell.first != "x"
    }
}
