/// One line of a line chart: a name and its (x, y) points, drawn in order.
public struct LineSeries: Sendable, Equatable {
    /// The legend name.
    public var name: String
    /// The x values.
    public var x: [Double]
    /// The y values (as many as `x`; extra values of either are ignored).
    public var y: [Double]
    /// The colour, or nil for the palette's colour of the series' position.
    public var colour: PlotColour?
    /// Whether the line is dashed (e.g. test beside a solid train line).
    public var dashed: Bool

    /// A series from its name and points.
    public init(name: String, x: [Double], y: [Double], colour: PlotColour? = nil, dashed: Bool = false) {
        (self.name, self.x, self.y, self.colour, self.dashed) = (name, x, y, colour, dashed)
    }
}

/// A line chart of several series with a legend and a marker on every point (so that a single
/// point still shows). NaN/±Inf points (and, on a log axis, values ≤ 0) are not drawn; a note
/// says how many. A line breaks where a point is missing.
public struct LineChart: PlotPanel {
    /// The panel title.
    public var title: String
    /// The series, drawn in order.
    public var series: [LineSeries]
    /// The x axis title.
    public var xTitle: String
    /// The y axis title.
    public var yTitle: String
    /// The y axis scale.
    public var yScale: AxisScale
    /// Whether x ticks are whole numbers (epochs, layer indices).
    public var integerX: Bool
    /// A fixed y range (e.g. 0...100 for accuracy), or nil to fit the data.
    public var yRange: ClosedRange<Double>?
    /// Extra caption lines.
    public var notes: [String]
    /// Values the y axis should not reach beyond when it adds room around the data (e.g. 0...100
    /// for a percentage), or nil. Unlike ``yRange`` it does not force the axis to span them.
    public var yLimits: ClosedRange<Double>? = nil

    /// The share of the data's range added above and below before the ticks are chosen.
    static let padding = 0.04
    /// Marker radius: visible at one point, small enough for a hundred.
    static let markerRadius = 3.5

    /// A line chart; see the properties.
    public init(title: String, series: [LineSeries], xTitle: String = "", yTitle: String = "", yScale: AxisScale = .linear,
                integerX: Bool = false, yRange: ClosedRange<Double>? = nil, notes: [String] = []) {
        (self.title, self.series, self.xTitle, self.yTitle) = (title, series, xTitle, yTitle)
        (self.yScale, self.integerX, self.yRange, self.notes) = (yScale, integerX, yRange, notes)
    }

    /// Draws the chart inside `frame`.
    public func draw(in frame: PlotRect, on document: inout SVGDocument) {
        let pairs = series.map { Array(zip($0.x, $0.y)) }
        let drawable = pairs.flatMap { $0 }.filter { $0.0.isFinite && $0.1.isFinite && (yScale == .linear || $0.1 > 0) }
        let nonFinite = pairs.flatMap { $0 }.filter { !$0.0.isFinite || !$0.1.isFinite }.count
        let nonPositive = yScale == .log10 ? pairs.flatMap { $0 }.filter { $0.0.isFinite && $0.1.isFinite && $0.1 <= 0 }.count : 0
        let content = PanelChrome.draw(title: title, notes: notes + PanelChrome.droppedNote(nonFinite: nonFinite, nonPositive: nonPositive),
                                       in: frame, on: &document)
        guard !drawable.isEmpty else { return PanelChrome.drawNoData(in: content, on: &document) }
        let entries = series.enumerated().map { LegendEntry(name: $1.name, colour: $1.colour ?? PlotPalette.seriesColour($0), dashed: $1.dashed) }
        let chartFrame = PlotLegend.draw(entries, in: content, on: &document)
        let xTicks = AxisTicks.covering(drawable.map(\.0), scale: .linear, minimumStep: integerX ? 1 : 0)
        var yValues = drawable.map(\.1)
        if let yRange {
            yValues += [yRange.lowerBound, yRange.upperBound]
        } else if yScale == .linear, let low = yValues.min(), let high = yValues.max(), high > low {
            // A little room so that the extreme points do not sit on the frame, but never past
            // `yLimits` (or below zero for data that are never negative).
            let limits = yLimits ?? (low >= 0 ? 0...Double.greatestFiniteMagnitude : -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude)
            yValues += [max(limits.lowerBound, low - (high - low) * Self.padding), min(limits.upperBound, high + (high - low) * Self.padding)]
        }
        let yTicks = AxisTicks.covering(yValues, scale: yScale)
        let axes = CartesianAxes(x: xTicks, y: yTicks, xTitle: xTitle, yTitle: yTitle, in: chartFrame, on: &document)
        for (index, points) in pairs.enumerated() {
            let colour = entries[index].colour
            var run: [PlotPoint] = []
            for (x, y) in points {
                if let point = axes.point(x, y) { run.append(point) } else {
                    document.polyline(run, colour: colour, width: 2, dashed: entries[index].dashed)
                    run = []
                }
            }
            document.polyline(run, colour: colour, width: 2, dashed: entries[index].dashed)
            for (x, y) in points {
                if let point = axes.point(x, y) {
                    document.circle(center: point, radius: Self.markerRadius, fill: colour, stroke: .white, strokeWidth: 1)
                }
            }
        }
    }
}
