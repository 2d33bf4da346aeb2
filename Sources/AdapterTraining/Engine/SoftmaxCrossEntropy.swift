import Foundation

/// Softmax cross-entropy averaged over the batch, as PyTorch's `F.cross_entropy`.
enum SoftmaxCrossEntropy {
    /// Writes ∂loss/∂logits into `gradient` (may alias nothing) and returns the mean loss and the
    /// number of rows whose arg-max equals the label.
    static func evaluate(logits: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, classes: Int,
                         gradient: UnsafeMutablePointer<Float>) -> (loss: Double, correct: Int) {
        var loss = 0.0, correct = 0
        let inverseRows = 1 / Float(rows)
        for row in 0..<rows {
            let z = logits + row * classes, g = gradient + row * classes
            let label = Int(labels[row])
            var largest = z[0], best = 0
            for c in 1..<classes where z[c] > largest { largest = z[c]; best = c }
            if best == label { correct += 1 }
            var total: Float = 0
            for c in 0..<classes { g[c] = expf(z[c] - largest); total += g[c] }
            loss += Double(logf(total) + largest - z[label])
            let inverseTotal = inverseRows / total
            for c in 0..<classes { g[c] *= inverseTotal }
            g[label] -= inverseRows
        }
        return (loss / Double(rows), correct)
    }

    /// The cross-entropy of one row of logits `z` (`classes` values) against `label`: no gradient.
    static func loss(logits z: UnsafePointer<Float>, label: Int, classes: Int) -> Double {
        var largest = z[0]
        for c in 1..<classes where z[c] > largest { largest = z[c] }
        var total: Float = 0
        for c in 0..<classes { total += expf(z[c] - largest) }
        return Double(logf(total) + largest - z[label])
    }
}
