import AdapterCore
import Foundation

/// An independent, naive float64 implementation of the adapted MLP and its loss, written from the
/// definitions (ΔW and W' formed explicitly, no shared code with the engine): the oracle for the
/// gradient checks.
struct ReferenceMLP {
    let base: Checkpoint
    let adapter: Adapter?
    /// Whether the base weights themselves are the parameters (base/full training).
    let trainsBase: Bool

    /// The parameters in the engine's flat order: per layer W then b (dense), or A, B, m (adapter).
    func flatParameters() -> [Double] {
        var flat: [Double] = []
        for layer in base.layers {
            if trainsBase { flat += layer.weight.values.map(Double.init) + layer.bias.map(Double.init); continue }
            guard let adapted = adapter?.layer(named: layer.name) else { continue }
            flat += adapted.a.values.map(Double.init) + adapted.b.values.map(Double.init) + (adapted.magnitude ?? []).map(Double.init)
        }
        return flat
    }

    /// The effective weights `[out][in]` of every layer for `flat` parameters; `normsFrom` fixes
    /// DoRA's ‖V‖ at other parameters (the detached variant).
    func effectiveWeights(_ flat: [Double], normsFrom: [Double]? = nil) -> [[[Double]]] {
        var offset = 0
        var result: [[[Double]]] = []
        for layer in base.layers {
            let out = layer.outputSize, inputs = layer.inputSize
            var w = (0..<out).map { o in (0..<inputs).map { Double(layer.weight[o, $0]) } }
            if trainsBase {
                w = (0..<out).map { o in (0..<inputs).map { flat[offset + o * inputs + $0] } }
                offset += out * inputs + out
            } else if let adapted = adapter?.layer(named: layer.name) {
                let r = adapted.rank, s = adapted.scaling
                func v(_ p: [Double]) -> [[Double]] {
                    let a = Array(p[offset..<(offset + r * inputs)]), b = Array(p[(offset + r * inputs)..<(offset + r * inputs + out * r)])
                    return (0..<out).map { o in (0..<inputs).map { i in w[o][i] + s * (0..<r).reduce(0.0) { $0 + b[o * r + $1] * a[$1 * inputs + i] } } }
                }
                let direction = v(flat), normSource = v(normsFrom ?? flat)
                w = direction
                if adapter?.method == .dora, let axis = adapter?.normAxis {
                    let mOffset = offset + r * inputs + out * r
                    for o in 0..<out {
                        for i in 0..<inputs {
                            let n: Double = axis == .output
                                ? (0..<inputs).reduce(0.0) { $0 + normSource[o][$1] * normSource[o][$1] }.squareRoot()
                                : (0..<out).reduce(0.0) { $0 + normSource[$1][i] * normSource[$1][i] }.squareRoot()
                            w[o][i] = flat[mOffset + (axis == .output ? o : i)] * direction[o][i] / n
                        }
                    }
                    offset += axis == .output ? out : inputs
                }
                offset += r * (inputs + out)
            }
            result.append(w)
        }
        return result
    }

    /// Logits `[rows][classes]`.
    func logits(_ flat: [Double], inputs: [[Double]], normsFrom: [Double]? = nil) -> [[Double]] {
        let weights = effectiveWeights(flat, normsFrom: normsFrom)
        var offset = 0
        var biases: [[Double]] = []
        for layer in base.layers {
            if trainsBase {
                offset += layer.inputSize * layer.outputSize
                biases.append(Array(flat[offset..<(offset + layer.outputSize)]))
                offset += layer.outputSize
            } else {
                biases.append(layer.bias.map(Double.init))
            }
        }
        return inputs.map { x in
            var h = x
            for (index, w) in weights.enumerated() {
                var y = w.indices.map { o in biases[index][o] + zip(w[o], h).reduce(0.0) { $0 + $1.0 * $1.1 } }
                if index < weights.count - 1 { y = y.map { max(0, $0) } }
                h = y
            }
            return h
        }
    }

    /// Mean softmax cross-entropy.
    func loss(_ flat: [Double], inputs: [[Double]], labels: [Int], normsFrom: [Double]? = nil) -> Double {
        let z = logits(flat, inputs: inputs, normsFrom: normsFrom)
        return zip(z, labels).reduce(0.0) { total, pair in
            let largest = pair.0.max() ?? 0
            let logSum = Foundation.log(pair.0.reduce(0.0) { $0 + Foundation.exp($1 - largest) }) + largest
            return total + logSum - pair.0[pair.1]
        } / Double(labels.count)
    }

    /// Central finite differences of ``loss(_:inputs:labels:normsFrom:)`` (norms fixed at `flat` when `detach`).
    func numericGradient(_ flat: [Double], inputs: [[Double]], labels: [Int], detach: Bool) -> [Double] {
        let step = 1e-6
        return flat.indices.map { index in
            var plus = flat, minus = flat
            plus[index] += step
            minus[index] -= step
            let normsFrom = detach ? flat : nil
            return (loss(plus, inputs: inputs, labels: labels, normsFrom: normsFrom) - loss(minus, inputs: inputs, labels: labels, normsFrom: normsFrom)) / (2 * step)
        }
    }
}
