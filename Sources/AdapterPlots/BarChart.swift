import Foundation

/// Which way bars grow.
public enum BarOrientation: Sendable, Equatable {
    /// Bars grow to the right; category names on the left (good for many or long names).
    case horizontal
    /// Bars grow upwards; category names below.
    case vertical
}

/// One group member of a bar chart: a name and one value per category.
public struct BarSeries: Sendable, Equatable {
    /// The legend name (no legend is drawn for a single series).
    public var name: String
    /// One value per category (missing ones are not drawn).
    public var values: [Double]
    /// The colour, or nil for the palette's colour of the series' position.
    public var colour: PlotColour?

    /// A series from its name and values.
    public init(name: String, values: [Double], colour: PlotColour? = nil) {
        (self.name, self.values, self.colour) = (name, values, colour)
    }
}

/// A bar chart: one bar per category and series (grouped side by side), horizontal or vertical,
/// optionally annotated with its value. NaN/±Inf values (and ≤ 0 on a log axis) are not drawn;
/// a note says how many.
public struct BarChart: PlotPanel {
    /// The panel title.
    public var title: String
    /// The category names, in drawing order (top to bottom, or left to right).
    public var categories: [String]
    /// The series.
    public var series: [BarSeries]
    /// Which way the bars grow.
    public var orientation: BarOrientation
    /// The value axis title.
    public var valueTitle: String
    /// The value axis scale.
    public var valueScale: AxisScale
    /// A range the value axis must include (e.g. 0...100), or nil to fit the data (and zero).
    public var valueRange: ClosedRange<Double>?
    /// Decimals of the value written at the end of each bar, or nil for none.
    public var annotationDecimals: Int?
    /// Extra caption lines.
    public var notes: [String]

    /// The longest category name drawn.
    static let maximumCategoryCharacters = 24
    static let categorySize = 11.0

    /// A bar chart; see the properties.
    public init(title: String, categories: [String], series: [BarSeries], orientation: BarOrientation = .horizontal,
                valueTitle: String = "", valueScale: AxisScale = .linear, valueRange: ClosedRange<Double>? = nil,
                annotationDecimals: Int? = nil, notes: [String] = []) {
        (self.title, self.categories, self.series, self.orientation) = (title, categories, series, orientation)
        (self.valueTitle, self.valueScale, self.valueRange) = (valueTitle, valueScale, valueRange)
        (self.annotationDecimals, self.notes) = (annotationDecimals, notes)
    }

    /// Draws the chart inside `frame`.
    public func draw(in frame: PlotRect, on document: inout SVGDocument) {
        let values = series.flatMap { $0.values.prefix(categories.count) }
        let finite = values.filter(\.isFinite)
        let drawable = finite.filter { valueScale == .linear || $0 > 0 }
        let content = PanelChrome.draw(title: title, notes: notes + PanelChrome.droppedNote(nonFinite: values.count - finite.count,
                                                                                              nonPositive: finite.count - drawable.count),
                                       in: frame, on: &document)
        guard !drawable.isEmpty, !categories.isEmpty else { return PanelChrome.drawNoData(in: content, on: &document) }
        let entries = series.enumerated().map { LegendEntry(name: $1.name, colour: $1.colour ?? PlotPalette.seriesColour($0)) }
        let chartFrame = series.count > 1 ? PlotLegend.draw(entries, in: content, on: &document) : content
        var range = drawable
        if let valueRange { range += [valueRange.lowerBound, valueRange.upperBound] }
        let ticks = AxisTicks.covering(range, scale: valueScale, includingZero: valueScale == .linear)
        let names = categories.map { SVGText.label($0, maximumCharacters: Self.maximumCategoryCharacters) }
        let longest = names.map { SVGText.estimatedWidth($0, fontSize: Self.categorySize) }.max() ?? 0
        switch orientation {
        case .horizontal:
            let axes = CartesianAxes(x: ticks, y: nil, xTitle: valueTitle, yTitle: "", in: chartFrame, leftMargin: longest, on: &document)
            let band = axes.area.height / Double(categories.count)
            for (index, name) in names.enumerated() {
                let centre = axes.area.y + (Double(index) + 0.5) * band
                document.text(name, at: PlotPoint(x: axes.area.x - 6, y: centre), size: min(Self.categorySize, band * 0.9),
                              anchor: .end, colour: .axis, maximumCharacters: Self.maximumCategoryCharacters)
                drawBars(category: index, band: (axes.area.y + Double(index) * band, band), entries: entries) { value in
                    (axes.pixelX(baseline(ticks)), axes.pixelX(value))
                } draw: { start, end, offset, thickness, colour, label in
                    let left = min(start, end)
                    document.rect(PlotRect(x: left, y: offset, width: abs(end - start), height: thickness), fill: colour)
                    if let label, thickness >= 7 {
                        document.text(label, at: PlotPoint(x: end + (end >= start ? 3 : -3), y: offset + thickness / 2),
                                      size: min(10, thickness * 0.9), anchor: end >= start ? .start : .end, colour: .axis)
                    }
                }
            }
        case .vertical:
            let band = max(1, chartFrame.width - 60) / Double(categories.count)
            let rotate = longest > band * 0.95
            let bottom = rotate ? min(longest * 0.72 + 8, chartFrame.height * 0.4) : Self.categorySize + 8
            let axes = CartesianAxes(x: nil, y: ticks, xTitle: "", yTitle: valueTitle, in: chartFrame, bottomMargin: bottom, on: &document)
            let width = axes.area.width / Double(categories.count)
            for (index, name) in names.enumerated() {
                let centre = axes.area.x + (Double(index) + 0.5) * width
                let labelSize = min(Self.categorySize, rotate ? width * 0.9 : Self.categorySize)
                // A turned label must end above the panel's bottom and right of its left edge.
                let room = min(bottom - 8, centre - frame.x)
                document.text(name, at: PlotPoint(x: centre, y: axes.area.maxY + 6 + labelSize / 2), size: labelSize,
                              anchor: rotate ? .end : .middle, colour: .axis, rotation: rotate ? -45 : 0,
                              maximumCharacters: rotate ? min(Self.maximumCategoryCharacters, SVGText.characters(fittingDiagonal: room, fontSize: labelSize))
                                                        : Self.maximumCategoryCharacters)
                drawBars(category: index, band: (axes.area.x + Double(index) * width, width), entries: entries) { value in
                    (axes.pixelY(baseline(ticks)), axes.pixelY(value))
                } draw: { start, end, offset, thickness, colour, label in
                    let top = min(start, end)
                    document.rect(PlotRect(x: offset, y: top, width: thickness, height: abs(end - start)), fill: colour)
                    if let label, thickness >= 14 {
                        document.text(label, at: PlotPoint(x: offset + thickness / 2, y: end + (end <= start ? -7 : 7)),
                                      size: min(10, thickness * 0.5), anchor: .middle, colour: .axis)
                    }
                }
            }
        }
    }

    /// Where bars start: zero on a linear axis (or the nearest end), the lowest tick on a log axis.
    private func baseline(_ ticks: AxisTicks) -> Double {
        valueScale == .log10 ? ticks.lower : min(max(0, ticks.lower), ticks.upper)
    }

    /// Computes each series' bar within one category's band and hands it to `draw`
    /// (start and end pixel along the value axis, offset and thickness across it, colour, label).
    private func drawBars(category: Int, band: (start: Double, size: Double), entries: [LegendEntry],
                          span: (Double) -> (Double, Double),
                          draw: (Double, Double, Double, Double, PlotColour, String?) -> Void) {
        let groupSize = band.size * 0.8
        let thickness = groupSize / Double(max(1, series.count))
        for (index, member) in series.enumerated() where category < member.values.count {
            let value = member.values[category]
            guard value.isFinite, valueScale == .linear || value > 0 else { continue }
            let (start, end) = span(value)
            let label = annotationDecimals.map { PlotNumber.fixed(value, decimals: $0) }
            draw(start, end, band.start + band.size * 0.1 + Double(index) * thickness, thickness, entries[index].colour, label)
        }
    }
}
