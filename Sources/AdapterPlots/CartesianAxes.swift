/// An x/y plot area with ticks, grid lines and axis titles, shared by line, scatter and bar charts.
struct CartesianAxes {
    /// The x axis ticks (nil for a category axis drawn by the chart itself).
    var x: AxisTicks?
    /// The y axis ticks (nil for a category axis drawn by the chart itself).
    var y: AxisTicks?
    /// Where data are drawn.
    var area: PlotRect

    /// The longest tick label drawn, in characters.
    static let maximumTickCharacters = 10
    static let titleSize = 12.0

    /// Lays the axes out in `frame`, leaving room for tick labels and axis titles, and draws them.
    /// `leftMargin` and `bottomMargin` replace the tick label room of a category axis.
    init(x: AxisTicks?, y: AxisTicks?, xTitle: String, yTitle: String, in frame: PlotRect, leftMargin: Double? = nil,
         bottomMargin: Double? = nil, on document: inout SVGDocument) {
        self.x = x
        self.y = y
        let tickWidth = leftMargin ?? (y?.values.map {
            SVGText.estimatedWidth(SVGText.label(y?.label($0) ?? "", maximumCharacters: Self.maximumTickCharacters),
                                   fontSize: PanelChrome.tickSize)
        }.max() ?? 0)
        let left = (yTitle.isEmpty ? 4 : Self.titleSize + 10) + tickWidth + 8
        let bottom = (bottomMargin ?? PanelChrome.tickSize + 8) + (xTitle.isEmpty ? 2 : Self.titleSize + 8)
        area = frame.inset(top: 6, left: left, bottom: bottom, right: 12)
        draw(xTitle: xTitle, yTitle: yTitle, frame: frame, on: &document)
    }

    /// The pixel of a data point, nil when it cannot be shown (not finite, or ≤ 0 on a log axis).
    func point(_ valueX: Double, _ valueY: Double) -> PlotPoint? {
        guard let fx = x?.fraction(of: valueX), let fy = y?.fraction(of: valueY) else { return nil }
        return PlotPoint(x: area.x + fx * area.width, y: area.maxY - fy * area.height)
    }

    /// The pixel row of `value` on the y axis (clamped to the area).
    func pixelY(_ value: Double) -> Double {
        area.maxY - min(1, max(0, y?.fraction(of: value) ?? 0)) * area.height
    }

    /// The pixel column of `value` on the x axis (clamped to the area).
    func pixelX(_ value: Double) -> Double {
        area.x + min(1, max(0, x?.fraction(of: value) ?? 0)) * area.width
    }

    private func draw(xTitle: String, yTitle: String, frame: PlotRect, on document: inout SVGDocument) {
        for value in y?.values ?? [] {
            let py = pixelY(value)
            document.line(from: PlotPoint(x: area.x, y: py), to: PlotPoint(x: area.maxX, y: py), colour: .grid)
            document.text(y?.label(value) ?? "", at: PlotPoint(x: area.x - 6, y: py), size: PanelChrome.tickSize, anchor: .end,
                          colour: .axis, maximumCharacters: Self.maximumTickCharacters)
        }
        if let x {
            for value in x.values {
                guard let fx = x.fraction(of: value) else { continue }
                let px = area.x + fx * area.width
                document.line(from: PlotPoint(x: px, y: area.y), to: PlotPoint(x: px, y: area.maxY), colour: .grid)
                document.line(from: PlotPoint(x: px, y: area.maxY), to: PlotPoint(x: px, y: area.maxY + 4), colour: .axis)
                document.text(x.label(value), at: PlotPoint(x: px, y: area.maxY + 6 + PanelChrome.tickSize / 2),
                              size: PanelChrome.tickSize, anchor: .middle, colour: .axis, maximumCharacters: Self.maximumTickCharacters)
            }
        }
        document.line(from: PlotPoint(x: area.x, y: area.maxY), to: PlotPoint(x: area.maxX, y: area.maxY), colour: .axis)
        document.line(from: PlotPoint(x: area.x, y: area.y), to: PlotPoint(x: area.x, y: area.maxY), colour: .axis)
        if !xTitle.isEmpty {
            document.text(xTitle, at: PlotPoint(x: area.midX, y: frame.maxY - Self.titleSize / 2 - 2), size: Self.titleSize,
                          anchor: .middle, colour: .axis, maximumCharacters: SVGText.characters(fitting: area.width, fontSize: Self.titleSize))
        }
        if !yTitle.isEmpty {
            document.text(yTitle, at: PlotPoint(x: frame.x + Self.titleSize / 2 + 2, y: area.midY), size: Self.titleSize,
                          anchor: .middle, colour: .axis, rotation: -90,
                          maximumCharacters: SVGText.characters(fitting: area.height, fontSize: Self.titleSize))
        }
    }
}
