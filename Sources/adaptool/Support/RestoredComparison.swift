import AdapterKit
import Foundation

/// The `adaptool diff` command that shows an unmerged checkpoint equal to its original base when
/// the fingerprints differ in the last bits of rounding, with tolerances that really pass.
enum RestoredComparison {
    /// float32 keeps 24 significant bits. W' is rounded once when merged (error ≤ 2⁻²⁴·|W'|) and W
    /// once when unmerged (≤ 2⁻²⁴·|W|), so |W_restored − W| ≤ 2⁻²⁴·(max|W'| + |W|): an absolute
    /// tolerance of this fraction of max|W'| (about 16 × 2⁻²⁴) and the same relative tolerance
    /// cover both with room to spare. A relative tolerance alone fails where W is near zero.
    static let relativeBound = 1e-6

    /// `compare with adaptool diff ORIGINAL_BASE OUTPUT --atol A --rtol 1e-6`, A scaled to
    /// `largestMerged` (the largest |W'| of the tensors the unmerge changed).
    static func hint(output: String, largestMerged: Double) -> String {
        "compare with adaptool diff ORIGINAL_BASE \(output) --atol \(roundedUp(largestMerged * relativeBound)) --rtol \(relativeBound)"
    }

    /// `value` rounded up to one significant digit (`3.2e-06` → `4e-06`), so the printed tolerance
    /// is short and never smaller than the bound.
    static func roundedUp(_ value: Double) -> String {
        guard value.isFinite, value > 0 else { return "0" }
        let unit = pow(10, floor(log10(value)))
        return String(format: "%.0e", (value / unit).rounded(.up) * unit)
    }

    /// The largest |value| of `names` in the v1 checkpoint at `path`.
    static func largestMagnitude(v1 path: String, layers names: [String]) throws -> Double {
        let checkpoint = try Checkpoint.read(from: path)
        let wanted = Set(names)
        return checkpoint.layers.filter { wanted.contains($0.name) }
            .flatMap(\.weight.values).reduce(0) { max($0, Double(abs($1))) }
    }

    /// The largest |value| of the tensors `names` in the v2 checkpoint at `path`.
    static func largestMagnitude(v2 path: String, tensors names: [String]) throws -> Double {
        let file = try TensorCheckpointFile(path: path)
        return try names.reduce(0) { largest, name in try file.float64Values(of: name).reduce(largest) { max($0, abs($1)) } }
    }
}
