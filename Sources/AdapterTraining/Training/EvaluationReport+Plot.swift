import AdapterPlots
import Foundation

extension EvaluationReport {
    /// The confusion matrix as a heat map (rows: true class, columns: predicted; each cell shows
    /// its count and is coloured by its share of the true class) beside the per-class accuracy.
    /// `model` names what was evaluated; the overall accuracy goes into the title.
    public func plot(model: String, subtitle: String = "") -> PlotFigure {
        let names = confusion.indices.map { $0 < classNames.count ? classNames[$0] : "class \($0)" }
        let shares = confusion.map { row -> [Double] in
            let total = row.reduce(0, +)
            return row.map { total == 0 ? 0 : Double($0) / Double(total) }
        }
        let heat = HeatMap(title: "confusion matrix (counts)", rows: names, columns: names, values: shares,
                           annotations: confusion.map { $0.map(String.init) }, colourRange: 0...1, colourTitle: "share of the true class",
                           rowTitle: "true class", columnTitle: "predicted class")
        let perClass = BarChart(title: "accuracy per true class", categories: names,
                                series: [BarSeries(name: "accuracy", values: Array(perClassAccuracy.prefix(names.count)))],
                                valueTitle: "accuracy %", valueRange: 0...100, annotationDecimals: 1,
                                notes: [String(format: "overall %.2f %% of %d images", accuracy, images)])
        let title = String(format: "Evaluation: %@ — accuracy %.2f %% (%d/%d)", model, accuracy, correct, images)
        return PlotFigure(title: title, subtitle: subtitle, panels: [heat, perClass], columns: 2, panelWidth: 560, panelHeight: 500)
    }
}
