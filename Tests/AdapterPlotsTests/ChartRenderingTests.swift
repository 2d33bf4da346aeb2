@testable import AdapterPlots
import AdapterCore
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Charts as SVG text: NaN/Inf never reach coordinates, empty data says "no data", the same data
/// gives the same bytes, and every chart type gives a well-formed document.
struct ChartRenderingTests {
    private func figure(_ panels: [any PlotPanel]) -> String {
        PlotFigure(title: "t", panels: panels, columns: 2).svg
    }

    private var everyChart: [any PlotPanel] {
        [LineChart(title: "loss", series: [LineSeries(name: "train", x: [1, 2, 3], y: [2.3, 1.9, 1.7]),
                                          LineSeries(name: "test", x: [1, 2, 3], y: [2.2, 2.0, 1.95], dashed: true)],
                   xTitle: "epoch", yTitle: "loss", integerX: true),
         HeatMap(title: "confusion", rows: ["a", "b"], columns: ["a", "b"], values: [[0.9, 0.1], [0.3, 0.7]],
                 annotations: [["9", "1"], ["3", "7"]], colourRange: 0...1, colourTitle: "share"),
         BarChart(title: "per class", categories: ["a", "b"], series: [BarSeries(name: "accuracy", values: [90, 70])], annotationDecimals: 1),
         BarChart(title: "vertical", categories: ["x", "y", "z"], series: [BarSeries(name: "u", values: [1, -2, 3]), BarSeries(name: "v", values: [2, 1, 0])],
                  orientation: .vertical),
         ScatterPlot(title: "scatter", series: [ScatterSeries(name: "s", points: [ScatterPoint(x: 1, y: 2, label: "p")])]),
         LineChart(title: "spectrum", series: [LineSeries(name: "σ", x: [1, 2, 3], y: [10, 0.1, 0.001])], yScale: .log10)]
    }

    @Test func everyChartIsWellFormedXML() throws {
        let svg = figure(everyChart)
        let parser = XMLParser(data: Data(svg.utf8))
        #expect(parser.parse(), "not well-formed: \(parser.parserError.map { "\($0)" } ?? "")")
        #expect(svg.hasPrefix("<?xml") && svg.contains("version=\"1.1\""))
    }

    @Test func nonFiniteValuesAreDroppedAndCounted() {
        let line = LineChart(title: "l", series: [LineSeries(name: "a", x: [1, 2, 3, 4], y: [1, .nan, .infinity, 2])])
        let heat = HeatMap(title: "h", rows: ["r"], columns: ["a", "b"], values: [[.nan, 1]])
        let bars = BarChart(title: "b", categories: ["a", "b"], series: [BarSeries(name: "s", values: [-.infinity, 1])])
        let scatter = ScatterPlot(title: "s", series: [ScatterSeries(name: "s", points: [ScatterPoint(x: .nan, y: 1), ScatterPoint(x: 1, y: 1)])])
        let svg = figure([line, heat, bars, scatter])
        #expect(geometryValues(svg).allSatisfy { Double($0)?.isFinite == true }, "a non-finite number reached the SVG's geometry")
        #expect(svg.contains("2 NaN/Inf values not drawn"))
        #expect(svg.components(separatedBy: "1 NaN/Inf value not drawn").count == 4, "heat map, bars and scatter each say so")
    }

    /// Every number in a geometry attribute (x, y, width, height, cx, cy, r, x1…y2, points, rotate(…)).
    private func geometryValues(_ svg: String) -> [String] {
        let pattern = try! NSRegularExpression(pattern: "\\b(?:x|y|width|height|cx|cy|r|x1|y1|x2|y2|points|transform)=\"([^\"]*)\"")
        let range = NSRange(svg.startIndex..., in: svg)
        return pattern.matches(in: svg, range: range).flatMap { match -> [String] in
            let value = String(svg[Range(match.range(at: 1), in: svg)!])
            return value.replacingOccurrences(of: "rotate(", with: "").replacingOccurrences(of: ")", with: "")
                .split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        }
    }

    @Test func logScaleSkipsNonPositiveValuesWithANote() {
        let svg = figure([LineChart(title: "σ", series: [LineSeries(name: "σ", x: [1, 2, 3], y: [3, 0, -1])], yScale: .log10)])
        #expect(svg.contains("2 values ≤ 0 not drawn on the log scale"))
    }

    @Test func emptyDataDrawsNoData() {
        let empty: [any PlotPanel] = [LineChart(title: "l", series: []), HeatMap(title: "h", rows: [], columns: [], values: []),
                                      BarChart(title: "b", categories: [], series: []), ScatterPlot(title: "s", series: []),
                                      LineChart(title: "n", series: [LineSeries(name: "a", x: [1], y: [.nan])])]
        let svg = figure(empty)
        #expect(svg.components(separatedBy: ">no data<").count == 6)
        #expect(PlotFigure(title: "nothing", panels: []).svg.contains(">no data<"))
    }

    @Test func theSameDataGivesTheSameBytes() {
        #expect(figure(everyChart) == figure(everyChart))
    }

    @Test func heatMapColoursDarkenWithValue() {
        #expect(PlotPalette.sequential(1).luminance < PlotPalette.sequential(0.5).luminance)
        #expect(PlotPalette.sequential(0.5).luminance < PlotPalette.sequential(0).luminance)
        #expect(PlotPalette.sequential(1).contrastingText == .white && PlotPalette.sequential(0).contrastingText == .black)
    }

    @Test func writingRefusesAnExistingFileAndAFolder() throws {
        let folder = NSTemporaryDirectory() + "adaptool-plots-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let figure = PlotFigure(title: "t", panels: everyChart)
        try figure.write(to: folder + "/a.svg")
        #expect(throws: FormatError.outputExists(path: folder + "/a.svg")) { try figure.write(to: folder + "/a.svg") }
        try figure.write(to: folder + "/a.svg", overwrite: true)
        #expect(throws: FormatError.outputIsFolder(path: folder)) { try figure.write(to: folder, overwrite: true) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["a.svg"])
    }
}
