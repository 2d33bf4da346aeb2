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

    /// How many rows `entries` need in `width`.
    static func rows(_ entries: [LegendEntry], width: Double) -> Int {
        layout(entries, width: width).last.map { $0.row + 1 } ?? 0
    }

    /// Draws the legend at the top of `frame`; returns the space left below it.
    static func draw(_ entries: [LegendEntry], in frame: PlotRect, on document: inout SVGDocument) -> PlotRect {
        guard entries.count > 1 || entries.first.map({ !$0.name.isEmpty }) == true else { return frame }
        let placed = layout(entries, width: frame.width)
        for item in placed {
            let y = frame.y + Double(item.row) * rowHeight + rowHeight / 2
            let x = frame.x + item.x
            document.line(from: PlotPoint(x: x, y: y), to: PlotPoint(x: x + swatchWidth, y: y), colour: item.entry.colour,
                          width: 2.5, dashed: item.entry.dashed)
            document.circle(center: PlotPoint(x: x + swatchWidth / 2, y: y), radius: 3, fill: item.entry.colour)
            document.text(item.entry.name, at: PlotPoint(x: x + swatchWidth + 5, y: y), size: PanelChrome.noteSize,
                          maximumCharacters: maximumNameCharacters)
        }
        let rows = (placed.last?.row ?? -1) + 1
        return frame.inset(top: Double(rows) * rowHeight + 4)
    }

    private static func layout(_ entries: [LegendEntry], width: Double) -> [(entry: LegendEntry, x: Double, row: Int)] {
        var result: [(LegendEntry, Double, Int)] = []
        var x = 0.0, row = 0
        for entry in entries {
            let name = SVGText.label(entry.name, maximumCharacters: maximumNameCharacters)
            let itemWidth = swatchWidth + 5 + SVGText.estimatedWidth(name, fontSize: PanelChrome.noteSize) + 14
            if x > 0, x + itemWidth > width { x = 0; row += 1 }
            result.append((entry, x, row))
            x += itemWidth
        }
        return result
    }
}
