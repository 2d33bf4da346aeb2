import AdapterCore

/// DoRA normalised per input column instead of per output row, as some from-scratch trainers
/// (and the reference notebook) write it: V = W + scaling · B · A, then
/// W'[:, i] = m[i] · V[:, i] / ‖V[:, i]‖₂ with one magnitude per input feature. This is adaptool
/// v1's `norm_axis = "input"`. PEFT has no such variant, so it has no PEFT form.
///
/// It is also the worked example of adding a method: this file plus one line in
/// ``LowRankMethods/registered``.
public enum DoRAByColumn: LowRankMethod {
    /// `"dora_column"`.
    public static let name = "dora_column"
    /// Magnitudes are absolute, not deltas.
    public static let isAdditive = false
    /// PEFT cannot express per-column magnitudes.
    public static let hasPEFTForm = false
    /// Not applicable (see ``hasPEFTForm``); LoRA's keys name the factors it shares.
    public static let peftKeySuffixes: [(suffix: String, role: String)] = LoRA.peftKeySuffixes
    /// Not applicable (see ``hasPEFTForm``).
    public static let peftConfigFlag: String? = nil

    /// LoRA's A and B plus magnitude `[in]`.
    public static func factorShapes(out: Int, inputs: Int, rank: Int) -> [(role: String, shape: [Int])] {
        LoRA.factorShapes(out: out, inputs: inputs, rank: rank) + [("magnitude", [inputs])]
    }

    /// W ← V · diag(m / ‖V[:, i]‖), V = W + scaling · B · A, all in float64.
    public static func fold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int,
                            factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {
        let magnitude = try factors.require("magnitude", count: inputs, target: target)
        try LoRA.addProduct(to: weight, out: out, inputs: inputs, factors: factors, scaling: scaling, target: target)
        let norms = columnNorms(UnsafeBufferPointer(weight), out: out, inputs: inputs)
        var scale = [Double](repeating: 0, count: inputs)
        for column in 0..<inputs {
            let norm = norms[column]
            // Reported as the column index: the one place "row" means a column of W.
            guard norm > 0, norm.isFinite else { throw .zeroNorm(tensor: target, row: column) }
            scale[column] = magnitude[column] / norm
        }
        for row in 0..<out {
            for column in 0..<inputs { weight[row * inputs + column] *= scale[column] }
        }
    }

    /// Always throws, for the reason DoRA's unfold does.
    public static func unfold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int,
                              factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {
        do { try DoRA.unfold(weight, out: out, inputs: inputs, factors: factors, scaling: scaling, target: target) } catch {
            guard case .notInvertible(_, let reason) = error else { throw error }
            throw .notInvertible(method: name, reason: reason)
        }
    }

    /// The column norms ‖tuned[:, i]‖.
    public static func extractionFactors(tuned: UnsafeBufferPointer<Double>, out: Int, inputs: Int) -> [String: [Double]] {
        ["magnitude": columnNorms(tuned, out: out, inputs: inputs)]
    }

    /// ‖W[:, i]‖₂ for every column of the row-major `[out, in]` weight, accumulated row by row.
    private static func columnNorms(_ weight: UnsafeBufferPointer<Double>, out: Int, inputs: Int) -> [Double] {
        var squares = [Double](repeating: 0, count: inputs)
        for row in 0..<out {
            for column in 0..<inputs { squares[column] += weight[row * inputs + column] * weight[row * inputs + column] }
        }
        return squares.map { $0.squareRoot() }
    }
}
