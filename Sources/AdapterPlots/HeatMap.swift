/// A heat map: a grid of cells coloured by value on a colour-blind-safe sequential scale (light
/// for low, dark for high), optional text in each cell, row and column names, and a colour bar.
/// NaN/±Inf cells are drawn grey and counted in a note.
public struct HeatMap: PlotPanel {
    /// The panel title.
    public var title: String
    /// Row names, top to bottom.
    public var rows: [String]
    /// Column names, left to right.
    public var columns: [String]
    /// The colour values, `values[row][column]` (missing cells are drawn empty).
    public var values: [[Double]]
    /// Text drawn in each cell (e.g. counts), `annotations[row][column]`, or nil for none.
    public var annotations: [[String]]?
    /// The values the colour scale's ends stand for, or nil for the data's range.
    public var colourRange: ClosedRange<Double>?
    /// The colour bar's title.
    public var colourTitle: String
    /// The title beside the row names (e.g. "true class").
    public var rowTitle: String
    /// The title below the column names (e.g. "predicted class").
    public var columnTitle: String
    /// Extra caption lines.
    public var notes: [String]

    /// The longest row or column name drawn.
    static let maximumNameCharacters = 20
    static let nameSize = 11.0
    static let colourBarWidth = 14.0
    /// Colour bar steps: enough to look continuous, few enough to keep the file small.
    static let colourBarSteps = 48
    /// The colour of a cell whose value cannot be shown.
    static let missingColour = PlotColour(hex: 0xBBBBBB)

    /// A heat map; see the properties.
    public init(title: String, rows: [String], columns: [String], values: [[Double]], annotations: [[String]]? = nil,
                colourRange: ClosedRange<Double>? = nil, colourTitle: String = "", rowTitle: String = "",
                columnTitle: String = "", notes: [String] = []) {
        (self.title, self.rows, self.columns, self.values, self.annotations) = (title, rows, columns, values, annotations)
        (self.colourRange, self.colourTitle, self.rowTitle, self.columnTitle, self.notes) = (colourRange, colourTitle, rowTitle, columnTitle, notes)
    }

    /// Draws the heat map inside `frame`.
    public func draw(in frame: PlotRect, on document: inout SVGDocument) {
        let cells = values.prefix(rows.count).flatMap { $0.prefix(columns.count) }
        let finite = cells.filter(\.isFinite)
        let content = PanelChrome.draw(title: title, notes: notes + PanelChrome.droppedNote(nonFinite: cells.count - finite.count),
                                       in: frame, on: &document)
        guard !rows.isEmpty, !columns.isEmpty, !finite.isEmpty else { return PanelChrome.drawNoData(in: content, on: &document) }
        let ticks = AxisTicks.linear(colourRange?.lowerBound ?? finite.min() ?? 0, colourRange?.upperBound ?? finite.max() ?? 1)
        let low = colourRange?.lowerBound ?? ticks.lower, high = colourRange?.upperBound ?? ticks.upper
        let rowNames = rows.map { SVGText.label($0, maximumCharacters: Self.maximumNameCharacters) }
        let columnNames = columns.map { SVGText.label($0, maximumCharacters: Self.maximumNameCharacters) }
        let rowWidth = rowNames.map { SVGText.estimatedWidth($0, fontSize: Self.nameSize) }.max() ?? 0
        let columnWidth = columnNames.map { SVGText.estimatedWidth($0, fontSize: Self.nameSize) }.max() ?? 0
        let barRoom = Self.colourBarWidth + 12 + 44 + (colourTitle.isEmpty ? 0 : 18)
        let left = rowWidth + 8 + (rowTitle.isEmpty ? 0 : 20)
        let available = content.inset(left: left, right: barRoom)
        let cellGuess = min(available.width / Double(columns.count), available.height / Double(rows.count))
        let rotate = columnWidth > cellGuess * 0.95
        let bottom = (rotate ? min(columnWidth * 0.72, content.height * 0.3) : Self.nameSize) + 10 + (columnTitle.isEmpty ? 0 : 20)
        let grid = available.inset(bottom: bottom)
        let cell = max(1, min(grid.width / Double(columns.count), grid.height / Double(rows.count)))
        let area = PlotRect(x: grid.x, y: grid.y, width: cell * Double(columns.count), height: cell * Double(rows.count))
        let nameSize = min(Self.nameSize, max(6, cell * 0.8))
        for (r, name) in rowNames.enumerated() {
            document.text(name, at: PlotPoint(x: area.x - 6, y: area.y + (Double(r) + 0.5) * cell), size: nameSize, anchor: .end,
                          colour: .axis, maximumCharacters: Self.maximumNameCharacters)
        }
        for (c, name) in columnNames.enumerated() {
            let x = area.x + (Double(c) + 0.5) * cell
            let room = min(bottom - 10 - (columnTitle.isEmpty ? 0 : 20), x - frame.x)
            document.text(name, at: PlotPoint(x: x, y: area.maxY + 6 + nameSize / 2), size: nameSize, anchor: rotate ? .end : .middle,
                          colour: .axis, rotation: rotate ? -45 : 0,
                          maximumCharacters: rotate ? min(Self.maximumNameCharacters, SVGText.characters(fittingDiagonal: room, fontSize: nameSize))
                                                    : Self.maximumNameCharacters)
        }
        for r in rows.indices {
            for c in columns.indices {
                drawCell(row: r, column: c, frame: PlotRect(x: area.x + Double(c) * cell, y: area.y + Double(r) * cell, width: cell, height: cell),
                         low: low, high: high, on: &document)
            }
        }
        document.rect(area, fill: nil, stroke: .axis)
        if !rowTitle.isEmpty {
            document.text(rowTitle, at: PlotPoint(x: content.x + 8, y: area.midY), size: 12, anchor: .middle, colour: .axis, rotation: -90)
        }
        if !columnTitle.isEmpty {
            document.text(columnTitle, at: PlotPoint(x: area.midX, y: area.maxY + bottom - 10), size: 12, anchor: .middle, colour: .axis)
        }
        drawColourBar(PlotRect(x: area.maxX + 12, y: area.y, width: Self.colourBarWidth, height: area.height),
                      ticks: ticks, low: low, high: high, on: &document)
    }

    private func drawCell(row: Int, column: Int, frame: PlotRect, low: Double, high: Double, on document: inout SVGDocument) {
        guard row < values.count, column < values[row].count else { return }
        let value = values[row][column]
        let colour = value.isFinite ? PlotPalette.sequential(high > low ? (value - low) / (high - low) : 0.5) : Self.missingColour
        let tooltip = "\(rows[row]) / \(columns[column]): \(PlotNumber.significant(value))"
        document.rect(frame, fill: colour, stroke: .white, strokeWidth: frame.width > 12 ? 1 : 0, tooltip: tooltip)
        guard let annotations, row < annotations.count, column < annotations[row].count else { return }
        let text = SVGText.label(annotations[row][column], maximumCharacters: 8)
        let size = min(11, frame.height * 0.42, frame.width / (Double(max(1, text.count)) * SVGText.averageCharacterWidth + 0.4))
        guard size >= 6 else { return }
        document.text(text, at: PlotPoint(x: frame.midX, y: frame.midY), size: size, anchor: .middle, colour: colour.contrastingText)
    }

    private func drawColourBar(_ bar: PlotRect, ticks: AxisTicks, low: Double, high: Double, on document: inout SVGDocument) {
        let step = bar.height / Double(Self.colourBarSteps)
        for index in 0..<Self.colourBarSteps {
            let fraction = (Double(index) + 0.5) / Double(Self.colourBarSteps)
            // Overlap by half a pixel so no white seams appear between steps when antialiased.
            document.rect(PlotRect(x: bar.x, y: bar.maxY - Double(index + 1) * step - 0.5, width: bar.width, height: step + 1),
                          fill: PlotPalette.sequential(fraction))
        }
        document.rect(bar, fill: nil, stroke: .axis)
        for value in ticks.values where value >= low && value <= high {
            let y = bar.maxY - (high > low ? (value - low) / (high - low) : 0.5) * bar.height
            document.line(from: PlotPoint(x: bar.maxX, y: y), to: PlotPoint(x: bar.maxX + 4, y: y), colour: .axis)
            document.text(ticks.label(value), at: PlotPoint(x: bar.maxX + 6, y: y), size: 10, colour: .axis, maximumCharacters: 8)
        }
        if !colourTitle.isEmpty {
            document.text(colourTitle, at: PlotPoint(x: bar.maxX + 54, y: bar.midY), size: 11, anchor: .middle, colour: .axis,
                          rotation: 90, maximumCharacters: SVGText.characters(fitting: bar.height, fontSize: 11))
        }
    }
}
