/// A plain aligned text table: numbers right-aligned, text left-aligned.
struct TextTable {
    /// Column headers.
    var headers: [String]
    /// The rows, each with one cell per header.
    var rows: [[String]] = []

    /// Adds a row.
    mutating func append(_ cells: [String]) { rows.append(cells) }

    /// The table as lines of text.
    func render() -> String {
        let widths = headers.indices.map { column in
            ([headers[column]] + rows.map { column < $0.count ? $0[column] : "" }).map(\.count).max() ?? 0
        }
        func line(_ cells: [String]) -> String {
            headers.indices.map { column in
                let cell = column < cells.count ? cells[column] : ""
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return Self.isNumeric(cell) ? padding + cell : cell + padding
            }.joined(separator: "  ").replacing(/\s+$/, with: "")
        }
        return ([line(headers), widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
            + rows.map(line)).joined(separator: "\n")
    }

    private static func isNumeric(_ cell: String) -> Bool {
        !cell.isEmpty && cell.allSatisfy { "0123456789.,-+%eE×x ".contains($0) } && cell.first != "x"
    }
}
