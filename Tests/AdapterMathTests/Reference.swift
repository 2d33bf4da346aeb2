import AdapterCore

/// An independent float64 implementation of the formulas in spec/math.md, written with plain loops
/// and sharing no code with AdapterMath: the yardstick the library is checked against.
enum Reference {
    /// Row-major float64 `rows × columns`.
    struct DMatrix {
        var rows: Int
        var columns: Int
        var values: [Double]

        init(rows: Int, columns: Int) {
            self.rows = rows
            self.columns = columns
            values = Array(repeating: 0, count: rows * columns)
        }

        init(rows: Int, columns: Int, values: [Double]) {
            self.rows = rows
            self.columns = columns
            self.values = values
        }

        init(_ matrix: Matrix) {
            rows = matrix.rows
            columns = matrix.columns
            values = matrix.values.map(Double.init)
        }

        subscript(r: Int, c: Int) -> Double {
            get { values[r * columns + c] }
            set { values[r * columns + c] = newValue }
        }
    }

    /// scaling · B · A by triple loop.
    static func update(_ layer: AdapterLayer) -> DMatrix {
        var result = DMatrix(rows: layer.b.rows, columns: layer.a.columns)
        for i in 0..<layer.b.rows {
            for j in 0..<layer.a.columns {
                var sum = 0.0
                for k in 0..<layer.rank { sum += Double(layer.b[i, k]) * Double(layer.a[k, j]) }
                result[i, j] = layer.scaling * sum
            }
        }
        return result
    }

    /// W + Σ wᵢ · scalingᵢ · Bᵢ · Aᵢ.
    static func loraMerge(_ weight: Matrix, _ parts: [(layer: AdapterLayer, weight: Double)]) -> DMatrix {
        var result = DMatrix(weight)
        for part in parts {
            let delta = update(part.layer)
            for i in result.values.indices { result.values[i] += part.weight * delta.values[i] }
        }
        return result
    }

    /// m ⊙ V / ‖V‖ with V = W + scaling · B · A, norms per output row or per input column.
    static func doraMerge(_ weight: Matrix, _ layer: AdapterLayer, axis: NormAxis) -> DMatrix {
        var v = loraMerge(weight, [(layer, 1)])
        let magnitude = layer.magnitude ?? []
        if axis == .output {
            for r in 0..<v.rows {
                var sum = 0.0
                for c in 0..<v.columns { sum += v[r, c] * v[r, c] }
                for c in 0..<v.columns { v[r, c] = Double(magnitude[r]) * v[r, c] / sum.squareRoot() }
            }
        } else {
            for c in 0..<v.columns {
                var sum = 0.0
                for r in 0..<v.rows { sum += v[r, c] * v[r, c] }
                for r in 0..<v.rows { v[r, c] = Double(magnitude[c]) * v[r, c] / sum.squareRoot() }
            }
        }
        return v
    }

    /// max |a − b| / max |W|: the error measure of spec/math.md §Precision.
    static func relativeError(_ result: Matrix, _ reference: DMatrix, scale: Matrix) -> Double {
        var largest = 0.0
        for i in reference.values.indices { largest = max(largest, abs(Double(result.values[i]) - reference.values[i])) }
        return largest / Double(scale.maxAbsoluteValue)
    }

    /// y = x · Wᵀ + b for a batch `x` (`batch × in`), in float64.
    static func linear(_ x: DMatrix, _ weight: DMatrix, _ bias: [Float]) -> DMatrix {
        var y = DMatrix(rows: x.rows, columns: weight.rows)
        for n in 0..<x.rows {
            for o in 0..<weight.rows {
                var sum = Double(bias[o])
                for i in 0..<x.columns { sum += x[n, i] * weight[o, i] }
                y[n, o] = sum
            }
        }
        return y
    }

    /// A ReLU MLP's logits; `weightFor` supplies each layer's effective weight (float64).
    static func forward(_ input: DMatrix, _ checkpoint: Checkpoint, weightFor: (Layer) -> DMatrix) -> DMatrix {
        var x = input
        for (index, layer) in checkpoint.layers.enumerated() {
            x = linear(x, weightFor(layer), layer.bias)
            if index < checkpoint.layers.count - 1 { x.values = x.values.map { max(0, $0) } }
        }
        return x
    }
}
