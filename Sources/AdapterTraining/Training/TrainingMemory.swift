import AdapterCore

/// What training a network of given layer widths allocates, checked against ``MemoryBudget``
/// before anything is allocated, so a size from a flag (`--hidden 1099511627776`, a huge
/// `--batch-size`) is one error line instead of an abort inside `malloc`.
public enum TrainingMemory {
    /// Floats kept per parameter while training: the value, its gradient and Adam's two moments.
    static let floatsPerParameter = 4
    /// Floats kept per activation of a batch: the output, the pre-activation and its gradient.
    static let floatsPerActivation = 3

    /// Refuses, as an error about `option`, a network of `widths` (input, hidden…, output)
    /// trained `batchSize` images at a time whose parameters and activations exceed the budget.
    public static func check(widths: [Int], batchSize: Int, option: String) throws(TrainingError) {
        var floats = 0
        func add(_ terms: Int...) {
            let product = terms.reduce(1) { total, factor in
                let (value, overflow) = total.multipliedReportingOverflow(by: factor)
                return overflow || factor < 0 ? Int.max : value
            }
            floats = floats.addingReportingOverflow(product).overflow ? Int.max : floats + product
        }
        for (input, output) in zip(widths, widths.dropFirst()) {
            // Weights and one bias per output; `input + 1` saturates like the products (a width near Int.max).
            let (withBias, overflow) = input.addingReportingOverflow(1)
            add(floatsPerParameter, output, overflow ? Int.max : withBias)
        }
        for width in widths { add(floatsPerActivation, batchSize, width) }
        let what = "training layers \(widths.map(String.init).joined(separator: " → ")) in batches of \(batchSize)"
        if let refusal = MemoryBudget.refusal(count: floats, itemBytes: MemoryLayout<Float>.size, for: what) {
            throw .invalidOption(name: option, problem: refusal)
        }
    }
}
