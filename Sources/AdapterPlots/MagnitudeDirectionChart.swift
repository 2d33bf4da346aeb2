/// One module's point in a ``MagnitudeDirectionChart``: its mean direction change ΔD (x) and
/// mean magnitude change ΔM (y), the DoRA paper's per-layer point.
public struct MagnitudeDirectionPoint: Sendable, Equatable {
    /// ΔD.
    public var direction: Double
    /// ΔM.
    public var magnitude: Double
    /// The label drawn beside the point (nil for none).
    public var label: String?
    /// The point's colour.
    public var colour: PlotColour

    /// A point from its parts.
    public init(direction: Double, magnitude: Double, label: String?, colour: PlotColour) {
        (self.direction, self.magnitude, self.label, self.colour) = (direction, magnitude, label, colour)
    }
}

/// The DoRA paper's ΔM-vs-ΔD scatter (Liu et al. 2024, figure 2): one large point per module at
/// its means, labelled where a label fits without covering another, over faint small points, one
/// per vector (row or column) of every module. Both axes are linear and start at 0; per-vector
/// points beyond them are counted in a note.
public struct MagnitudeDirectionChart: PlotPanel {
    /// The panel title.
    public var title: String
    /// The modules' points.
    public var modules: [MagnitudeDirectionPoint]
    /// The per-vector points (ΔD_n, Δm_n), drawn faintly underneath.
    public var vectors: [(direction: Double, magnitude: Double)]
    /// The legend names of the two kinds of point.
    public var moduleName: String, vectorName: String
    /// Extra caption lines.
    public var notes: [String]
    /// What to say instead of axes when there is nothing to draw.
    public var emptyMessage: String

    /// The faint colour of per-vector points: light enough that module points stay in front.
    public static let vectorColour = PlotColour(hex: 0xBCCADB)
    static let moduleRadius = 5.0
    static let vectorRadius = 2.0
    static let labelSize = 10.0
    static let maximumLabelCharacters = 24

    /// A scatter; see the properties.
    public init(title: String, modules: [MagnitudeDirectionPoint], vectors: [(direction: Double, magnitude: Double)],
                moduleName: String, vectorName: String, notes: [String] = [], emptyMessage: String = "no data") {
        (self.title, self.modules, self.vectors, self.notes, self.emptyMessage) = (title, modules, vectors, notes, emptyMessage)
        (self.moduleName, self.vectorName) = (moduleName, vectorName)
    }

    /// Draws the chart inside `frame`.
    public func draw(in frame: PlotRect, on document: inout SVGDocument) {
        let shownModules = modules.filter { $0.direction.isFinite && $0.magnitude.isFinite }
        let shownVectors = vectors.filter { $0.direction.isFinite && $0.magnitude.isFinite }
        let dropped = modules.count - shownModules.count + vectors.count - shownVectors.count
        let xTicks = Self.ticks(shownModules.map(\.direction), shownVectors.map(\.direction))
        let yTicks = Self.ticks(shownModules.map(\.magnitude), shownVectors.map(\.magnitude))
        let inside = shownVectors.filter { $0.direction <= xTicks.upper && $0.magnitude <= yTicks.upper && $0.direction >= xTicks.lower && $0.magnitude >= yTicks.lower }
        let outside = shownVectors.count - inside.count
        let outsideNote = outside > 0 ? ["\(outside) of \(shownVectors.count) per-vector points lie beyond the axes"] : []
        let content = PanelChrome.draw(title: title, notes: notes + outsideNote + PanelChrome.droppedNote(nonFinite: dropped), in: frame, on: &document)
        guard !shownModules.isEmpty else { return PanelChrome.drawNoData(emptyMessage, in: content, on: &document) }
        var legend = [LegendEntry(name: moduleName, colour: .axis)]
        if !shownVectors.isEmpty { legend.append(LegendEntry(name: vectorName, colour: Self.vectorColour)) }
        let chartFrame = PlotLegend.draw(legend, in: content, on: &document)
        let axes = CartesianAxes(x: xTicks, y: yTicks, xTitle: "ΔD (1 − cosine)", yTitle: "ΔM (|‖w′‖ − ‖w‖|)", in: chartFrame, on: &document)
        for vector in inside {
            guard let pixel = axes.point(vector.direction, vector.magnitude) else { continue }
            document.circle(center: pixel, radius: Self.vectorRadius, fill: Self.vectorColour)
        }
        let pixels = shownModules.map { axes.point($0.direction, $0.magnitude) }
        var taken = pixels.compactMap { $0 }.map {
            PlotRect(x: $0.x - Self.moduleRadius, y: $0.y - Self.moduleRadius, width: 2 * Self.moduleRadius, height: 2 * Self.moduleRadius)
        }
        for (point, pixel) in zip(shownModules, pixels) {
            guard let pixel else { continue }
            document.circle(center: pixel, radius: Self.moduleRadius, fill: point.colour, stroke: .white, strokeWidth: 1)
        }
        for (point, pixel) in zip(shownModules, pixels) {
            guard let pixel, let text = point.label else { continue }
            let label = SVGText.label(text, maximumCharacters: Self.maximumLabelCharacters)
            guard let placed = Self.place(label, beside: pixel, within: axes.area, avoiding: taken) else { continue }
            taken.append(placed.box)
            document.text(label, at: placed.position, size: Self.labelSize, anchor: placed.anchor, colour: .axis,
                          maximumCharacters: Self.maximumLabelCharacters)
        }
    }

    /// An axis from 0 that shows every module point and the bulk of the per-vector cloud: up to
    /// the larger of 1.15 × the largest module value and the ``vectorQuantile`` of the vectors,
    /// so that a few outlying rows do not squeeze the modules' points into a corner.
    static func ticks(_ moduleValues: [Double], _ vectorValues: [Double]) -> AxisTicks {
        let sorted = vectorValues.sorted()
        let quantile = sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * vectorQuantile))]
        let lowest = min(0, (moduleValues + vectorValues).min() ?? 0)
        return AxisTicks.covering([lowest, max(1.15 * (moduleValues.max() ?? 0), quantile)], scale: .linear, includingZero: true)
    }

    /// The share of per-vector points the axes are fitted to.
    static let vectorQuantile = 0.95

    /// The first of four spots around `pixel` (right or left, above or below) where `label` lies
    /// inside `area` and overlaps none of `taken`; nil when none is free (the label is left out).
    static func place(_ label: String, beside pixel: PlotPoint, within area: PlotRect, avoiding taken: [PlotRect])
        -> (position: PlotPoint, anchor: TextAnchor, box: PlotRect)? {
        let width = SVGText.estimatedWidth(label, fontSize: labelSize), height = labelSize + 2
        let gap = moduleRadius + 2
        for (dx, dy) in [(1.0, -1.0), (-1.0, -1.0), (1.0, 1.0), (-1.0, 1.0)] {
            let y = pixel.y + dy * (gap - 1)
            let left = dx > 0 ? pixel.x + gap : pixel.x - gap - width
            let box = PlotRect(x: left, y: y - height / 2, width: width, height: height)
            guard box.x >= area.x, box.maxX <= area.maxX + 10, box.y >= area.y - 4, box.maxY <= area.maxY else { continue }
            guard !taken.contains(where: { overlaps($0, box) }) else { continue }
            return (PlotPoint(x: dx > 0 ? left : left + width, y: y), dx > 0 ? .start : .end, box)
        }
        return nil
    }

    private static func overlaps(_ a: PlotRect, _ b: PlotRect) -> Bool {
        a.x < b.maxX && b.x < a.maxX && a.y < b.maxY && b.y < a.maxY
    }
}
