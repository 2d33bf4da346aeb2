/// One entry of a legend: a name and its colour.
public struct LegendEntry: Sendable, Equatable {
    /// The series name.
    public var name: String
    /// The series colour.
    public var colour: PlotColour
    /// Whether the series is drawn dashed.
    public var dashed: Bool

    /// An entry from its parts.
    public init(name: String, colour: PlotColour, dashed: Bool = false) {
        (self.name, self.colour, self.dashed) = (name, colour, dashed)
    }
}

/// A legend drawn as rows above a chart (never on top of the data), wrapping when it is wide.
enum PlotLegend {
    /// The longest series name shown in a legend.
    static let maximumNameCharacters = 32
    static let rowHeight = 16.0
    static let swatchWidth = 22.0
    /// The most legend rows drawn: beyond them "+N more" replaces the rest, so that a chart of many
    /// series keeps its plot area.
    static let maximumRows = 3

    /// One placed legend item: an entry, or the "+N more" that ends a cut legend.
    private struct Item {
        var entry: LegendEntry?
        var text: String
        var x: Double
        var row: Int
    }

    /// Draws the legend at the top of `frame`; returns the space left below it.
    static func draw(_ entries: [LegendEntry], in frame: PlotRect, on document: inout SVGDocument) -> PlotRect {
        guard entries.count > 1 || entries.first.map({ !$0.name.isEmpty }) == true else { return frame }
        let placed = layout(entries, width: frame.width)
        for item in placed {
            let y = frame.y + Double(item.row) * rowHeight + rowHeight / 2
            let x = frame.x + item.x
            guard let entry = item.entry else {
                document.text(item.text, at: PlotPoint(x: x, y: y), size: PanelChrome.noteSize, colour: .note)
                continue
            }
            document.line(from: PlotPoint(x: x, y: y), to: PlotPoint(x: x + swatchWidth, y: y), colour: entry.colour,
                          width: 2.5, dashed: entry.dashed)
            document.circle(center: PlotPoint(x: x + swatchWidth / 2, y: y), radius: 3, fill: entry.colour)
            document.text(item.text, at: PlotPoint(x: x + swatchWidth + 5, y: y), size: PanelChrome.noteSize,
                          maximumCharacters: maximumNameCharacters)
        }
        let rows = (placed.last?.row ?? -1) + 1
        return frame.inset(top: Double(rows) * rowHeight + 4)
    }

    /// Places entries left to right, wrapping into at most ``maximumRows`` rows; entries that do
    /// not fit become one "+N more".
    private static func layout(_ entries: [LegendEntry], width: Double) -> [Item] {
        var result: [Item] = []
        var x = 0.0, row = 0
        let moreWidth = SVGText.estimatedWidth("+9999 more", fontSize: PanelChrome.noteSize)
        for (index, entry) in entries.enumerated() {
            let name = SVGText.label(entry.name, maximumCharacters: maximumNameCharacters)
            let itemWidth = swatchWidth + 5 + SVGText.estimatedWidth(name, fontSize: PanelChrome.noteSize) + 14
            var (nextX, nextRow) = (x, row)
            if nextX > 0, nextX + itemWidth > width { (nextX, nextRow) = (0, row + 1) }
            // On the last row, keep room for "+N more" unless this is the last entry: then "+N
            // more" always fits where the previous entry ended.
            let reserve = index == entries.count - 1 ? 0 : moreWidth
            if nextRow >= maximumRows || (nextRow == maximumRows - 1 && nextX + itemWidth + reserve > width) {
                let (moreX, moreRow) = nextRow >= maximumRows ? (x, row) : (nextX, nextRow)
                result.append(Item(entry: nil, text: "+\(entries.count - index) more", x: moreX, row: moreRow))
                break
            }
            result.append(Item(entry: entry, text: name, x: nextX, row: nextRow))
            (x, row) = (nextX + itemWidth, nextRow)
        }
        return result
    }
}
