/// One point of a scatter plot, optionally labelled.
public struct ScatterPoint: Sendable, Equatable {
    /// Horizontal value.
    public var x: Double
    /// Vertical value.
    public var y: Double
    /// A short label drawn beside the point, or nil.
    public var label: String?

    /// A point from its values and optional label.
    public init(x: Double, y: Double, label: String? = nil) { (self.x, self.y, self.label) = (x, y, label) }
}

/// One coloured group of scatter points.
public struct ScatterSeries: Sendable, Equatable {
    /// The legend name.
    public var name: String
    /// The points.
    public var points: [ScatterPoint]
    /// The colour, or nil for the palette's colour of the series' position.
    public var colour: PlotColour?

    /// A series from its name and points.
    public init(name: String, points: [ScatterPoint], colour: PlotColour? = nil) {
        (self.name, self.points, self.colour) = (name, points, colour)
    }
}

/// A scatter plot: coloured series, a legend, optional point labels. Points that cannot be shown
/// (NaN/±Inf, or ≤ 0 on a log axis) are not drawn; a note says how many.
public struct ScatterPlot: PlotPanel {
    /// The panel title.
    public var title: String
    /// The series, drawn in order.
    public var series: [ScatterSeries]
    /// The x axis title.
    public var xTitle: String
    /// The y axis title.
    public var yTitle: String
    /// The x axis scale.
    public var xScale: AxisScale
    /// The y axis scale.
    public var yScale: AxisScale
    /// Extra caption lines.
    public var notes: [String]

    /// The longest point label drawn.
    static let maximumLabelCharacters = 16
    static let markerRadius = 4.0
    static let labelSize = 9.0

    /// A scatter plot; see the properties.
    public init(title: String, series: [ScatterSeries], xTitle: String = "", yTitle: String = "",
                xScale: AxisScale = .linear, yScale: AxisScale = .linear, notes: [String] = []) {
        (self.title, self.series, self.xTitle, self.yTitle) = (title, series, xTitle, yTitle)
        (self.xScale, self.yScale, self.notes) = (xScale, yScale, notes)
    }

    /// Draws the plot inside `frame`.
    public func draw(in frame: PlotRect, on document: inout SVGDocument) {
        let all = series.flatMap(\.points)
        let nonFinite = all.filter { !$0.x.isFinite || !$0.y.isFinite }.count
        let finite = all.filter { $0.x.isFinite && $0.y.isFinite }
        let drawable = finite.filter { (xScale == .linear || $0.x > 0) && (yScale == .linear || $0.y > 0) }
        let content = PanelChrome.draw(title: title, notes: notes + PanelChrome.droppedNote(nonFinite: nonFinite, nonPositive: finite.count - drawable.count),
                                       in: frame, on: &document)
        guard !drawable.isEmpty else { return PanelChrome.drawNoData(in: content, on: &document) }
        let entries = series.enumerated().map { LegendEntry(name: $1.name, colour: $1.colour ?? PlotPalette.seriesColour($0)) }
        let chartFrame = PlotLegend.draw(entries, in: content, on: &document)
        let axes = CartesianAxes(x: AxisTicks.covering(drawable.map(\.x), scale: xScale), y: AxisTicks.covering(drawable.map(\.y), scale: yScale),
                                 xTitle: xTitle, yTitle: yTitle, in: chartFrame, on: &document)
        for (index, group) in series.enumerated() {
            for point in group.points {
                guard let pixel = axes.point(point.x, point.y) else { continue }
                document.circle(center: pixel, radius: Self.markerRadius, fill: entries[index].colour, stroke: .white, strokeWidth: 0.8)
                if let label = point.label {
                    let rightHalf = pixel.x > axes.area.midX
                    document.text(label, at: PlotPoint(x: pixel.x + (rightHalf ? -6 : 6), y: pixel.y - 6), size: Self.labelSize,
                                  anchor: rightHalf ? .end : .start, colour: .axis, maximumCharacters: Self.maximumLabelCharacters)
                }
            }
        }
    }
}
