import AdapterCore

/// One low-rank update `coefficient · B · A` to fold into a weight (coefficient = user weight × scaling).
struct LowRankTerm {
    /// s · scaling (negated when unmerging).
    var coefficient: Double
    /// The adapter layer holding A `[rank, in]` and B `[out, rank]`.
    var factors: AdapterLayer
}

/// The float64 row-block kernel behind merge and unmerge (spec/math.md §Precision).
///
/// The weight is processed in blocks of rows: each block is widened to float64, the low-rank
/// products are added by `dgemm` in float64, DoRA's normalisation is applied in float64, and the
/// result is rounded once to float32 into the same buffer. Only one block of float64 values
/// (``blockElements``) exists at a time, so peak memory is the float32 layer plus a few MiB.
enum MergeKernel {
    /// Doubles per row block: 2 MiB, large enough for dgemm to run at full speed, small next to a layer.
    static let blockElements = 1 << 18

    /// Folds `terms` (and, for DoRA, the magnitude normalisation) into `weight` in place.
    static func fold(_ weight: inout Matrix, layer name: String, terms: [LowRankTerm],
                     magnitude: (values: [Float], axis: NormAxis)?) throws(MergeError) {
        let rows = weight.rows, columns = weight.columns
        if rows == 0 || columns == 0 { return }
        let blockRows = max(1, min(rows, blockElements / columns))
        let aFactors = terms.map { $0.factors.a.values.map(Double.init) }
        let maxRank = terms.map(\.factors.rank).max() ?? 0
        var block = [Double](repeating: 0, count: blockRows * columns)
        var bBlock = [Double](repeating: 0, count: blockRows * max(1, maxRank))

        /// V for rows start ..< start + count into `block`: W + Σ cᵢ Bᵢ Aᵢ, in float64.
        func computeV(_ start: Int, _ count: Int) {
            weight.values.withUnsafeBufferPointer { w in
                block.withUnsafeMutableBufferPointer { v in
                    let base = start * columns
                    for i in 0..<(count * columns) { v[i] = Double(w[base + i]) }
                }
            }
            for (term, a) in zip(terms, aFactors) {
                let rank = term.factors.rank
                if rank == 0 { continue }
                term.factors.b.values.withUnsafeBufferPointer { b in
                    bBlock.withUnsafeMutableBufferPointer { bb in
                        for i in 0..<(count * rank) { bb[i] = Double(b[start * rank + i]) }
                    }
                }
                bBlock.withUnsafeBufferPointer { pb in
                    a.withUnsafeBufferPointer { pa in
                        block.withUnsafeMutableBufferPointer { pv in
                            BLAS.gemm(.none, .none, m: count, n: columns, k: rank, alpha: term.coefficient,
                                      a: pb.baseAddress, lda: rank, b: pa.baseAddress, ldb: columns,
                                      beta: 1, c: pv.baseAddress, ldc: columns)
                        }
                    }
                }
            }
        }

        // DoRA along input columns needs every row's contribution before any column can be scaled.
        var columnFactors: [Double]?
        if let magnitude, magnitude.axis == .input {
            var sums = [Double](repeating: 0, count: columns)
            for start in stride(from: 0, to: rows, by: blockRows) {
                let count = min(blockRows, rows - start)
                computeV(start, count)
                for r in 0..<count {
                    for c in 0..<columns { sums[c] += block[r * columns + c] * block[r * columns + c] }
                }
            }
            columnFactors = (0..<columns).map { Double(magnitude.values[$0]) / sums[$0].squareRoot() }
        }

        var poison: Float = 0
        for start in stride(from: 0, to: rows, by: blockRows) {
            let count = min(blockRows, rows - start)
            computeV(start, count)
            block.withUnsafeMutableBufferPointer { v in
                if let columnFactors {
                    for r in 0..<count { for c in 0..<columns { v[r * columns + c] *= columnFactors[c] } }
                } else if let magnitude, magnitude.axis == .output {
                    for r in 0..<count {
                        var sum = 0.0
                        for c in 0..<columns { sum += v[r * columns + c] * v[r * columns + c] }
                        let factor = Double(magnitude.values[start + r]) / sum.squareRoot()
                        for c in 0..<columns { v[r * columns + c] *= factor }
                    }
                }
            }
            weight.values.withUnsafeMutableBufferPointer { w in
                block.withUnsafeBufferPointer { v in
                    let base = start * columns
                    for i in 0..<(count * columns) {
                        let value = Float(v[i])
                        w[base + i] = value
                        poison += value - value   // stays 0 unless some value is NaN or ±∞
                    }
                }
            }
        }
        guard poison == 0 else { throw .nonFinite(layer: name) }
    }
}
