import AdapterCore
import Foundation

/// DoRA (Liu et al. 2024), as PEFT defines it: V = W + scaling · B · A, then each output row is
/// rescaled to its magnitude, W'[o, :] = m[o] · V[o, :] / ‖V[o, :]‖₂. The magnitudes are absolute,
/// so a DoRA adapter is merged alone, and the merge cannot be undone from W' (the norms of V are lost).
public enum DoRA: LowRankMethod {
    /// `"dora"`.
    public static let name = "dora"
    /// Magnitudes are absolute, not deltas.
    public static let isAdditive = false
    /// Each output row is normalised on its own (PEFT's DoRA): row o needs row o of W, B and m.
    public static let foldsRowsIndependently = true
    /// LoRA's keys plus the magnitude vector (saved without `.weight` by PEFT ≥ 0.12, with it before).
    public static let peftKeySuffixes: [(suffix: String, role: String)] =
        LoRA.peftKeySuffixes + [(".lora_magnitude_vector", "magnitude"), (".lora_magnitude_vector.weight", "magnitude")]
    /// `use_dora: true` in adapter_config.json.
    public static let peftConfigFlag: String? = "use_dora"

    /// Rows of W' per parallel chunk: large enough to amortise scheduling, small enough to share
    /// two cores evenly on a 4k-row weight.
    private static let rowsPerChunk = 256

    /// LoRA's A and B plus magnitude `[out]`.
    public static func factorShapes(out: Int, inputs: Int, rank: Int) -> [(role: String, shape: [Int])] {
        LoRA.factorShapes(out: out, inputs: inputs, rank: rank) + [("magnitude", [out])]
    }

    /// W ← m ⊙ V / ‖V‖ per output row, V = W + scaling · B · A, all in float64.
    public static func fold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int,
                            factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {
        let magnitude = try factors.require("magnitude", count: out, target: target)
        try LoRA.addProduct(to: weight, out: out, inputs: inputs, factors: factors, scaling: scaling, target: target)
        // Rows are independent: chunks run in parallel; the first zero-norm row (if any) is reported.
        nonisolated(unsafe) var zeroRow = Int.max
        let lock = NSLock()
        ParallelRanges.forEach(count: out, minimumChunk: rowsPerChunk) { rows in
            for row in rows {
                let slice = UnsafeMutableBufferPointer(rebasing: weight[row * inputs..<(row + 1) * inputs])
                var squares = 0.0
                for value in slice { squares += value * value }
                let norm = squares.squareRoot()
                guard norm > 0, norm.isFinite else {
                    lock.withLock { zeroRow = min(zeroRow, row) }
                    return
                }
                let factor = magnitude[row] / norm
                for index in slice.indices { slice[index] *= factor }
            }
        }
        if zeroRow != .max { throw .zeroNorm(tensor: target, row: zeroRow) }
    }

    /// The magnitudes ‖tuned[o, :]‖: with V ≈ tuned, m ⊙ V/‖V‖ ≈ tuned.
    public static func extractionFactors(tuned: UnsafeBufferPointer<Double>, out: Int, inputs: Int) -> [String: [Double]] {
        let norms = (0..<out).map { row in
            tuned[row * inputs..<(row + 1) * inputs].reduce(0) { $0 + $1 * $1 }.squareRoot()
        }
        return ["magnitude": norms]
    }

    /// Always throws: W' keeps only V's direction, and recovering W needs the norms ‖V‖ of the
    /// original weight, which W' no longer holds.
    public static func unfold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int,
                              factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {
        throw .notInvertible(method: name, reason: "W' = m ⊙ V/‖V‖ keeps only V's direction; recovering W = V − scaling·B·A needs the norms ‖V‖ of the original base, which the merged weights no longer hold; keep the base instead")
    }
}
