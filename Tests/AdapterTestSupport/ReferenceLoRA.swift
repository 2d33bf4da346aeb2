/// The LoRA update by its definition, as plain float64 loops (no BLAS): the independent reference
/// that method and merge tests compare against.
public enum ReferenceLoRA {
    /// W + scaling · B · A for W `[out, in]`, A `[rank, in]`, B `[out, rank]`, all row-major.
    public static func folded(_ weight: [Double], out: Int, inputs: Int, rank: Int, scaling: Double, a: [Double], b: [Double]) -> [Double] {
        var result = weight
        for row in 0..<out {
            for column in 0..<inputs {
                var sum = 0.0
                for k in 0..<rank { sum += b[row * rank + k] * a[k * inputs + column] }
                result[row * inputs + column] += scaling * sum
            }
        }
        return result
    }
}
