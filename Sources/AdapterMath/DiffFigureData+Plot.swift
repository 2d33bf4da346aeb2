import AdapterCore
import AdapterPlots

/// `diff --plot`'s figure of a ``DiffFigureData``, three panels side by side:
/// (a) relative ‖ΔW‖_F per changed module, in model order, as horizontal bars;
/// (b) the singular-value spectrum σ_i/σ_1 of each module's ΔW on a log axis, rank marked;
/// (c) the DoRA paper's ΔM-vs-ΔD scatter, one point per module over faint per-vector points.
/// When nothing changed, every panel says "no differences".
extension DiffFigureData {
    /// The figure, ready to render or write (``PlotFigure/write(to:overwrite:)``).
    public var plot: PlotFigure { DiffFigure.figure(self) }
}

/// How ``DiffFigureData/plot`` lays out its panels.
enum DiffFigure {
    /// The most bars panel (a) draws (the largest relative changes; the rest are counted in a
    /// note): about 12 pixels a bar, the most a panel of readable height holds.
    static let maximumBars = 40
    /// Modules drawn in colour, named in (b)'s legend and labelled first in (c): the largest relative
    /// changes; the others are grey context. Five names and the "N other modules" entry fill the
    /// legend's three rows of two in a third of the figure (a longer legend is cut to "+N more").
    static let highlightedModules = min(5, PlotPalette.series.count)
    /// The most per-vector points (c) draws, sampled evenly from every module: enough to show the
    /// cloud, few enough that the SVG of a 7B model stays a few hundred kilobytes.
    static let maximumVectorPoints = 3000
    /// With at most this many modules every point in (c) gets a label; beyond, the highlighted ones.
    static let labelAllBelow = 12
    /// The longest module name drawn: longer ones keep their end ("…self_attn.q_proj"), which
    /// tells modules apart.
    static let maximumNameCharacters = 24
    static let context = PlotColour(hex: 0xA0A0A0)
    static let panelWidth = 500.0

    /// The figure of `data`.
    static func figure(_ data: DiffFigureData) -> PlotFigure {
        let changed = data.changedModules
        let what = data.quantity == .weights ? "W" : "U"
        let title = "diff \(data.first) → \(data.second)"
        guard !changed.isEmpty else {
            let compared = data.modules.isEmpty ? "no matrix was compared value by value" : "\(data.modules.count) matrices compared"
            return PlotFigure(title: title, subtitle: "no differences (\(compared))",
                              panels: [MessagePanel(title: "", message: "no differences")], panelWidth: 3 * panelWidth, panelHeight: 160)
        }
        let names = shortNames(changed.map(\.name))
        let highlighted = Set(largestFirst(changed).prefix(highlightedModules))
        var colours: [Int: PlotColour] = [:]
        for (order, index) in highlighted.sorted().enumerated() { colours[index] = PlotPalette.seriesColour(order) }
        let subtitle = "\(changed.count) of the \(data.modules.count) matrices compared value by value differ" + (names.prefix.isEmpty ? "" : "; names without \"\(names.prefix)\"")
        let bars = barCount(changed.count)
        return PlotFigure(title: title, subtitle: subtitle,
                          panels: [relativeNorms(changed, names: names.names, what: what),
                                   spectra(changed, names: names.names, colours: colours, what: what),
                                   magnitudeDirection(changed, names: names.names, colours: colours, axis: data.normAxis)],
                          columns: 3, panelWidth: panelWidth, panelHeight: max(420, 110 + 12 * Double(bars)))
    }

    static func barCount(_ modules: Int) -> Int { min(modules, maximumBars) }

    /// The indices of `changed`, largest relative change first (NaN last, ties in model order).
    static func largestFirst(_ changed: [DiffFigureModule]) -> [Int] {
        func key(_ index: Int) -> Double { changed[index].comparison.relative.isNaN ? -1 : changed[index].comparison.relative }
        return changed.indices.sorted { (key($0), -$0) > (key($1), -$1) }
    }

    /// Panel (a): the `maximumBars` largest relative changes, in model order.
    static func relativeNorms(_ changed: [DiffFigureModule], names: [String], what: String) -> BarChart {
        let kept = largestFirst(changed).prefix(maximumBars).sorted()
        let more = changed.count - kept.count
        return BarChart(title: "relative change ‖Δ\(what)‖_F / ‖\(what)_A‖_F", categories: kept.map { names[$0] },
                        series: [BarSeries(name: "", values: kept.map { changed[$0].comparison.relative })],
                        valueTitle: "‖Δ\(what)‖_F / ‖\(what)_A‖_F",
                        notes: more > 0 ? ["… and \(more) more with smaller changes (the \(kept.count) largest shown)"] : [])
    }

    /// Panel (b): every module with a spectrum; highlighted ones in colour and in the legend.
    static func spectra(_ changed: [DiffFigureModule], names: [String], colours: [Int: PlotColour], what: String) -> SpectrumChart {
        var lines: [SpectrumLine] = [], legend: [LegendEntry] = []
        for (index, module) in changed.enumerated() where !module.normalizedSpectrum.isEmpty {
            let colour = colours[index] ?? context
            let rank = module.comparison.numericalRank
            lines.append(SpectrumLine(name: names[index], values: module.normalizedSpectrum, rank: rank, colour: colour, highlighted: colours[index] != nil))
            if colours[index] != nil { legend.append(LegendEntry(name: "\(names[index]) · rank \(rank.map(String.init) ?? "?")", colour: colour)) }
        }
        let others = lines.filter { !$0.highlighted }.count
        if others > 0 { legend.append(LegendEntry(name: "\(others) other module\(others == 1 ? "" : "s")", colour: context)) }
        var notes = lines.isEmpty ? [] : ["● marks each line's numerical rank"]
        let omitted = changed.filter { $0.normalizedSpectrum.isEmpty }
        let notRequested = omitted.filter { $0.spectrumOmission == .notRequested }.count
        let tooLarge = omitted.filter { $0.spectrumOmission == .tooLarge }.count
        if notRequested > 0 { notes.append("\(notRequested) module\(notRequested == 1 ? "" : "s"): SVD not run (rank not requested)") }
        if tooLarge > 0 { notes.append("\(tooLarge) module\(tooLarge == 1 ? "" : "s") above \(TensorSetDiff.rankElementLimit) elements: SVD skipped") }
        let kept = WeightComparisonDetail.keptSingularValues
        if changed.contains(where: { ($0.detail.singularValues?.count ?? 0) == kept && min($0.rows, $0.columns) > kept }) {
            notes.append("the \(kept) largest singular values of each module shown")
        }
        let message = notRequested == changed.count ? "singular values not computed (rank not requested)" : "no spectrum"
        return SpectrumChart(title: "singular values of Δ\(what) (log scale)", lines: lines, legend: legend, notes: notes, emptyMessage: message)
    }

    /// Panel (c): ΔM vs ΔD per module, per-vector points sampled evenly to at most `maximumVectorPoints`.
    static func magnitudeDirection(_ changed: [DiffFigureModule], names: [String], colours: [Int: PlotColour], axis: NormAxis) -> MagnitudeDirectionChart {
        let slice = axis == .output ? "output row" : "input column"
        let total = changed.reduce(0) { $0 + $1.detail.magnitudeChanges.count }
        let stride = max(1, (total + maximumVectorPoints - 1) / maximumVectorPoints)
        var vectors: [(direction: Double, magnitude: Double)] = []
        for module in changed {
            for n in Swift.stride(from: 0, to: module.detail.magnitudeChanges.count, by: stride) {
                vectors.append((module.detail.directionChanges[n], module.detail.magnitudeChanges[n]))
            }
        }
        let labelAll = changed.count <= labelAllBelow
        let order = changed.indices.sorted { (colours[$0] != nil ? 0 : 1, $0) < (colours[$1] != nil ? 0 : 1, $1) }
        let points = order.reversed().map { index in
            MagnitudeDirectionPoint(direction: changed[index].comparison.directionChange, magnitude: changed[index].comparison.magnitudeChange,
                                    label: labelAll || colours[index] != nil ? names[index] : nil, colour: colours[index] ?? context)
        }
        var notes: [String] = []
        if stride > 1 { notes.append("1 in \(stride) of \(total) \(slice)s shown") }
        return MagnitudeDirectionChart(title: "ΔM vs ΔD per \(slice) (norm axis: \(axis.rawValue))", modules: points, vectors: vectors,
                                       moduleName: "module mean (ΔD, ΔM)", vectorName: "one \(slice)", notes: notes)
    }

    /// `names` without the longest common prefix ending in "." (when there are at least two), and
    /// cut to ``maximumNameCharacters`` keeping their ends.
    static func shortNames(_ names: [String]) -> (prefix: String, names: [String]) {
        var prefix = ""
        if names.count > 1, let first = names.first {
            var common = Substring(first)
            for name in names.dropFirst() { common = common.prefix(zip(common, name).prefix { $0 == $1 }.count) }
            if let dot = common.lastIndex(of: ".") { prefix = String(common[...dot]) }
        }
        let short = names.map { name -> String in
            let rest = String(name.dropFirst(prefix.count))
            return rest.count > maximumNameCharacters ? "…" + rest.suffix(maximumNameCharacters - 1) : rest
        }
        return (prefix, short)
    }
}

/// A panel that only says something ("no differences"), framed like an empty chart.
private struct MessagePanel: PlotPanel {
    /// The panel title.
    var title: String
    /// The message.
    var message: String

    /// Draws the message in the middle of `frame`.
    func draw(in frame: PlotRect, on document: inout SVGDocument) {
        PanelChrome.drawNoData(message, in: PanelChrome.draw(title: title, notes: [], in: frame, on: &document), on: &document)
    }
}
