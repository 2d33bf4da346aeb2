/// One line of a ``SpectrumChart``: a module's normalised singular values σ_i/σ_1, i = 1, 2, …
public struct SpectrumLine: Sendable, Equatable {
    /// The module's name.
    public var name: String
    /// σ_i / σ_1, largest first.
    public var values: [Double]
    /// The numerical rank: the point i = rank is marked (nil or 0 for none).
    public var rank: Int?
    /// The line's colour.
    public var colour: PlotColour
    /// Whether the line is one of the highlighted (thick, in the legend) ones.
    public var highlighted: Bool

    /// A line from its parts.
    public init(name: String, values: [Double], rank: Int?, colour: PlotColour, highlighted: Bool) {
        (self.name, self.values, self.rank, self.colour, self.highlighted) = (name, values, rank, colour, highlighted)
    }
}

/// Singular-value spectra on a log y axis, one line per module, with the point at each line's
/// numerical rank marked: a low-rank update shows as a cliff right after its rank. A line ends
/// at its first value below the axis (1e-12 at the lowest), drawn on the axis. Highlighted
/// lines are drawn last (on top), thicker, and named in the legend; the others are context.
public struct SpectrumChart: PlotPanel {
    /// The panel title.
    public var title: String
    /// The lines, highlighted or not.
    public var lines: [SpectrumLine]
    /// The legend (the highlighted lines and, if any, one entry for the others).
    public var legend: [LegendEntry]
    /// Extra caption lines.
    public var notes: [String]
    /// What to say instead of axes when there is nothing to draw.
    public var emptyMessage: String

    /// The bottom of the y axis: the spectrum of an exactly low-rank ΔW in float64 continues at
    /// about 1e-16·σ_1, and float32 weights resolve nothing below about 1e-8 of their size, so
    /// 1e-12 keeps the cliff visible without spending half the axis on rounding noise.
    public static let floor = 1e-12
    static let rankMarkerRadius = 4.5

    /// A spectrum chart; see the properties.
    public init(title: String, lines: [SpectrumLine], legend: [LegendEntry], notes: [String] = [], emptyMessage: String = "no data") {
        (self.title, self.lines, self.legend, self.notes, self.emptyMessage) = (title, lines, legend, notes, emptyMessage)
    }

    /// Draws the chart inside `frame`.
    public func draw(in frame: PlotRect, on document: inout SVGDocument) {
        let drawn = lines.filter { !$0.values.isEmpty }
        let positive = drawn.flatMap(\.values).filter { $0.isFinite && $0 > 0 }
        let clamped = drawn.flatMap(\.values).contains { !($0 >= Self.floor) }
        let floorNote = clamped ? ["lines end where σ_i/σ_1 falls below \(PlotNumber.significant(Self.floor))"] : []
        let content = PanelChrome.draw(title: title, notes: notes + floorNote, in: frame, on: &document)
        guard !positive.isEmpty else { return PanelChrome.drawNoData(emptyMessage, in: content, on: &document) }
        let chartFrame = PlotLegend.draw(legend, in: content, on: &document)
        let longest = drawn.map { Self.visibleCount($0.values, above: max(Self.floor, positive.min() ?? Self.floor)) }.max() ?? 1
        let xTicks = AxisTicks.covering([1, Double(max(2, longest))], scale: .linear, minimumStep: 1)
        let yTicks = AxisTicks.log10(max(Self.floor, positive.min() ?? Self.floor), 1)
        let axes = CartesianAxes(x: xTicks, y: yTicks, xTitle: "index i (largest first)", yTitle: "σ_i / σ_1", in: chartFrame, on: &document)
        let ordered = drawn.filter { !$0.highlighted } + drawn.filter(\.highlighted)
        for line in ordered {
            let points = line.values.prefix(Self.visibleCount(line.values, above: yTicks.lower)).enumerated().map { index, value in
                PlotPoint(x: axes.pixelX(Double(index + 1)), y: axes.pixelY(value >= yTicks.lower ? value : yTicks.lower))
            }
            document.polyline(points, colour: line.colour, width: line.highlighted ? 2 : 1)
            if let rank = line.rank, rank >= 1, rank <= points.count {
                document.circle(center: points[rank - 1], radius: line.highlighted ? Self.rankMarkerRadius : Self.rankMarkerRadius - 1.5,
                                fill: line.colour, stroke: .white, strokeWidth: 1)
            }
        }
    }

    /// How many of `values` a line draws: up to and including the first below `lower` (drawn on
    /// the axis, so that the drop shows).
    static func visibleCount(_ values: [Double], above lower: Double) -> Int {
        (values.firstIndex { !($0 >= lower) }).map { $0 + 1 } ?? values.count
    }
}
