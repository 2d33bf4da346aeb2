import AdapterCore
import LinearAlgebra

/// LoRA (Hu et al. 2021): W' = W + scaling · B · A, with A `[rank, in]` and B `[out, rank]`.
public enum LoRA: LowRankMethod {
    /// `"lora"`.
    public static let name = "lora"
    /// Deltas add, so LoRA adapters stack.
    public static let isAdditive = true
    /// Row o of W + scaling · B · A needs only row o of W and of B.
    public static let foldsRowsIndependently = true
    /// PEFT's `lora_A.weight` / `lora_B.weight`.
    public static let peftKeySuffixes: [(suffix: String, role: String)] = [(".lora_A.weight", "A"), (".lora_B.weight", "B")]
    /// Plain LoRA needs no flag.
    public static let peftConfigFlag: String? = nil

    /// A `[rank, in]`, B `[out, rank]`.
    public static func factorShapes(out: Int, inputs: Int, rank: Int) -> [(role: String, shape: [Int])] {
        [("A", [rank, inputs]), ("B", [out, rank])]
    }

    /// W += scaling · B · A.
    public static func fold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int,
                            factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {
        try addProduct(to: weight, out: out, inputs: inputs, factors: factors, scaling: scaling, target: target)
    }

    /// Nothing beyond A and B.
    public static func extractionFactors(tuned: UnsafeBufferPointer<Double>, out: Int, inputs: Int) -> [String: [Double]] { [:] }

    /// W −= scaling · B · A.
    public static func unfold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int,
                              factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {
        try addProduct(to: weight, out: out, inputs: inputs, factors: factors, scaling: -scaling, target: target)
    }

    /// W += scaling · B · A by one float64 `dgemm` (products and sums in float64), for any method
    /// built on the LoRA update.
    static func addProduct(to weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int,
                           factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {
        let rank = factors.rank
        let a = try factors.require("A", count: rank * inputs, target: target)
        let b = try factors.require("B", count: out * rank, target: target)
        guard weight.count == out * inputs else {
            throw .factorShape(tensor: target, role: "weight", expected: [out, inputs], found: [weight.count])
        }
        guard scaling.isFinite else { throw .badScaling(tensor: target, scaling: scaling) }
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                BLAS.gemm(.none, .none, m: out, n: inputs, k: rank, alpha: scaling, a: pb.baseAddress, lda: rank,
                          b: pa.baseAddress, ldb: inputs, beta: 1, c: weight.baseAddress, ldc: inputs)
            }
        }
    }
}
