import AdapterPlots
import Foundation

extension TrainingRecord {
    /// What was trained, for a title: "lora rank 4 (scaling 8)", "base MLP 3072→128→256→10".
    public var plotDescription: String {
        if let adapter {
            var text = "\(method) rank \(adapter.rank) (scaling \(PlotNumber.compact(adapter.scaling))"
            if adapter.method == .dora { text += ", \(adapter.normAxis.rawValue)-axis norm" + (adapter.detachNorm ? ", detached" : "") }
            return text + ")"
        }
        if let hidden { return "\(method) MLP " + ([CIFAR10.imageBytes] + hidden + [CIFAR10.classCount]).map(String.init).joined(separator: "→") }
        return method == "full" ? "full fine-tune" : method
    }

    /// Loss and accuracy per epoch, train and test (when the test split was evaluated after each
    /// epoch), as two panels: loss and accuracy % against the epoch. The title names the method,
    /// rank and data; a single epoch still shows as markers.
    public var plot: PlotFigure {
        let x = epochs.map { Double($0.epoch) }
        let tested = epochs.contains { $0.testLoss != nil || $0.testAccuracy != nil }
        let notes = tested ? [] : ["the test split was not evaluated after each epoch"]
        func series(_ train: [Double], _ test: [Double]) -> [LineSeries] {
            [LineSeries(name: "train", x: x, y: train, colour: PlotPalette.seriesColour(0))]
                + (tested ? [LineSeries(name: "test", x: x, y: test, colour: PlotPalette.seriesColour(1), dashed: true)] : [])
        }
        let loss = LineChart(title: "loss (softmax cross-entropy)", series: series(epochs.map(\.loss), epochs.map { $0.testLoss ?? .nan }),
                             xTitle: "epoch", yTitle: "loss", integerX: true, notes: notes)
        var accuracy = LineChart(title: "accuracy", series: series(epochs.map(\.accuracy), epochs.map { $0.testAccuracy ?? .nan }),
                                 xTitle: "epoch", yTitle: "accuracy %", integerX: true, notes: notes)
        accuracy.yLimits = 0...100
        let final = testAccuracy.map { String(format: "; final test accuracy %.2f %%", $0) } ?? ""
        let subtitle = "\(trainImages) train / \(testImages) test images, \(epochs.count == 1 ? "1 epoch" : "\(epochs.count) epochs"), "
            + "batch \(settings.batchSize), lr \(PlotNumber.compact(settings.adam.learningRate)), seed \(settings.seed)\(final)"
        // A data folder is named by its last component: the title has one line.
        let dataName = data.contains("/") ? URL(fileURLWithPath: data).lastPathComponent : data
        return PlotFigure(title: "Training: \(plotDescription) on \(dataName)", subtitle: subtitle, panels: [loss, accuracy],
                          columns: 2, panelWidth: 480, panelHeight: 360)
    }
}
