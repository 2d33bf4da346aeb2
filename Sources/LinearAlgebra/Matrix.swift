/// A dense row-major float32 matrix: the value type every weight, factor and activation uses.
public struct Matrix: Equatable, Sendable {
    /// Number of rows.
    public let rows: Int
    /// Number of columns.
    public let columns: Int
    /// The elements, row after row (`rows * columns` of them).
    public var values: [Float]

    /// A matrix of `rows × columns` filled with `value`.
    public init(rows: Int, columns: Int, repeating value: Float = 0) {
        precondition(rows >= 0 && columns >= 0, "matrix dimensions must not be negative")
        self.rows = rows
        self.columns = columns
        self.values = [Float](repeating: value, count: rows * columns)
    }

    /// A matrix over `values` laid out row after row; `values.count` must be `rows * columns`.
    public init(rows: Int, columns: Int, values: [Float]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns,
                     "matrix of \(rows)×\(columns) needs \(rows * columns) values, got \(values.count)")
        self.rows = rows
        self.columns = columns
        self.values = values
    }

    /// `[rows, columns]`, the way the file formats write shapes.
    public var shape: [Int] { [rows, columns] }

    /// The element at `row`, `column`.
    public subscript(row: Int, column: Int) -> Float {
        get { values[row * columns + column] }
        set { values[row * columns + column] = newValue }
    }

    /// One row as an array.
    public func row(_ index: Int) -> ArraySlice<Float> { values[index * columns ..< (index + 1) * columns] }

    /// The transpose.
    public func transposed() -> Matrix {
        var result = Matrix(rows: columns, columns: rows)
        for r in 0..<rows { for c in 0..<columns { result.values[c * rows + r] = values[r * columns + c] } }
        return result
    }

    /// Whether every element is finite (no NaN, no ±∞).
    public var isFinite: Bool { values.allSatisfy(\.isFinite) }

    /// The largest absolute element (0 for an empty matrix).
    public var maxAbsoluteValue: Float { values.reduce(0) { max($0, abs($1)) } }

    /// The Frobenius norm, accumulated in float64.
    public var frobeniusNorm: Double { values.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() }
}
