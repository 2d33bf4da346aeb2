import AdapterCore
import Foundation

/// Accuracy of a model on a split, per class and as a confusion matrix, with its throughput.
public struct EvaluationReport: Sendable, Codable, Equatable {
    /// Images evaluated.
    public var images: Int
    /// Images whose arg-max logit is the label.
    public var correct: Int
    /// `correct / images` in percent.
    public var accuracy: Double
    /// Class names, in label order.
    public var classNames: [String]
    /// Accuracy per true class, in percent (0 for a class absent from the split).
    public var perClassAccuracy: [Double]
    /// `confusion[label][prediction]` counts.
    public var confusion: [[Int]]
    /// Wall time of the forward passes (batch gathering included).
    public var seconds: Double
    /// Images per second.
    public var imagesPerSecond: Double
    /// Mean softmax cross-entropy over the images (nil in reports written before it was measured).
    public var loss: Double? = nil
}

/// How an adapter applied unmerged compares with the checkpoint it merges into.
public struct MergeComparison: Sendable, Codable, Equatable {
    /// Images whose predicted class differs between unmerged and merged (expected 0).
    public var differingPredictions: Int
    /// Largest absolute difference of any logit.
    public var maxLogitDifference: Double
    /// Accuracy of the merged checkpoint, in percent.
    public var mergedAccuracy: Double
    /// Microseconds per image of the base alone, base + adapter unmerged, and the merged checkpoint.
    public var microsecondsPerImage: [String: Double]
}

/// Runs models over a split.
public enum Evaluator {
    /// Images per forward pass: large enough for efficient matrix products, small enough to stay in cache-friendly buffers.
    public static let batchSize = 500

    /// Evaluates `model` on `split`; also returns every logit row when `keepLogits`.
    public static func evaluate(_ model: TrainableModel, on split: CIFAR10Split, classNames: [String],
                                keepLogits: Bool = false) -> (report: EvaluationReport, logits: [Float]?) {
        ParallelGEMM.configure(workers: Trainer.defaultThreadCount)
        let network = model.network, classes = network.outputSize
        let loader = BatchLoader(capacity: min(batchSize, max(split.count, 1)))
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: classes), count: classes)
        var allLogits: [Float] = []
        if keepLogits { allLogits.reserveCapacity(split.count * classes) }
        let order = Array(0..<split.count)
        let start = Date()
        var offset = 0, lossSum = 0.0
        while offset < split.count, classes > 0 {
            let rows = loader.load(split, indices: order, range: offset..<min(split.count, offset + loader.capacity))
            let logits = network.forward(loader.inputs.pointer, rows: rows)
            for row in 0..<rows {
                let z = logits + row * classes
                var best = 0
                for c in 1..<classes where z[c] > z[best] { best = c }
                let label = Int(loader.labels[row])
                if label < classes {
                    confusion[label][best] += 1
                    lossSum += SoftmaxCrossEntropy.loss(logits: z, label: label, classes: classes)
                }
            }
            if keepLogits { allLogits.append(contentsOf: UnsafeBufferPointer(start: logits, count: rows * classes)) }
            offset += rows
        }
        let seconds = Date().timeIntervalSince(start)
        let correct = (0..<classes).reduce(0) { $0 + confusion[$1][$1] }
        let perClass = confusion.enumerated().map { label, row in
            let total = row.reduce(0, +)
            return total == 0 ? 0 : 100 * Double(row[label]) / Double(total)
        }
        let report = EvaluationReport(images: split.count, correct: correct,
                                      accuracy: split.count == 0 ? 0 : 100 * Double(correct) / Double(split.count),
                                      classNames: classNames, perClassAccuracy: perClass, confusion: confusion,
                                      seconds: seconds, imagesPerSecond: Double(split.count) / max(seconds, 1e-9),
                                      loss: split.count == 0 ? nil : lossSum / Double(split.count))
        return (report, keepLogits ? allLogits : nil)
    }

    /// Compares `unmerged` logits with `merged` ones (both `images × classes`).
    public static func compare(unmerged: [Float], merged: [Float], classes: Int) -> (differing: Int, maxDifference: Double) {
        var differing = 0, largest = 0.0
        let images = min(unmerged.count, merged.count) / max(classes, 1)
        for image in 0..<images {
            var bestU = 0, bestM = 0
            for c in 0..<classes {
                let index = image * classes + c
                if unmerged[index] > unmerged[image * classes + bestU] { bestU = c }
                if merged[index] > merged[image * classes + bestM] { bestM = c }
                largest = max(largest, Double(abs(unmerged[index] - merged[index])))
            }
            if bestU != bestM { differing += 1 }
        }
        return (differing, largest)
    }
}
