import AdapterCore
import AdapterMath
import AdapterTestSupport
import Testing

/// "Zero overhead, same answers": the merged checkpoint's logits equal those of the base with the
/// adapter applied on the fly, computed by an independent float64 forward pass.
@Suite struct ForwardPassTests {
    /// Largest allowed |logit difference| (the bound).
    static let logitTolerance = 1e-4

    let base = Checkpoint.random(sizes: [48, 32, 24, 10], seed: 31)

    func batch(_ rows: Int, seed: UInt64) -> Reference.DMatrix {
        var rng = SeededGenerator(seed: seed)
        return Reference.DMatrix(rng.matrix(rows, 48))
    }

    func maxDifference(_ a: Reference.DMatrix, _ b: Reference.DMatrix) -> Double {
        zip(a.values, b.values).map { abs($0 - $1) }.max() ?? 0
    }

    @Test func mergedLoRAGivesTheUnmergedLogits() throws {
        let adapter = Adapter.random(for: base, method: .lora, rank: 4, scaling: 1.5, seed: 32)
        let merged = try base.merged(with: [WeightedAdapter(adapter)], baseFingerprint: base.computeFingerprint())
        let x = batch(16, seed: 33)

        // On the fly: y = x·Wᵀ + scaling·(x·Aᵀ)·Bᵀ + b, never forming B·A.
        var h = x
        for (index, layer) in base.layers.enumerated() {
            let factors = try #require(adapter.layer(named: layer.name))
            var y = Reference.linear(h, Reference.DMatrix(layer.weight), layer.bias)
            let xa = Reference.linear(h, Reference.DMatrix(factors.a), Array(repeating: 0, count: factors.rank))
            let xab = Reference.linear(xa, Reference.DMatrix(factors.b), Array(repeating: 0, count: layer.outputSize))
            for i in y.values.indices { y.values[i] += factors.scaling * xab.values[i] }
            if index < base.layers.count - 1 { y.values = y.values.map { max(0, $0) } }
            h = y
        }
        let mergedLogits = Reference.forward(x, merged) { Reference.DMatrix($0.weight) }
        let baseLogits = Reference.forward(x, base) { Reference.DMatrix($0.weight) }
        #expect(maxDifference(h, mergedLogits) < Self.logitTolerance)
        #expect(maxDifference(h, baseLogits) > 0.1)   // the adapter really changes the answers
    }

    @Test(arguments: NormAxis.allCases) func mergedDoRAGivesTheUnmergedLogits(axis: NormAxis) throws {
        let adapter = Adapter.random(for: base, method: .dora, rank: 3, scaling: 0.8, normAxis: axis, seed: 34)
        let merged = try base.merged(with: [WeightedAdapter(adapter)], baseFingerprint: base.computeFingerprint())
        let x = batch(16, seed: 35)
        let unmerged = Reference.forward(x, base) { layer in
            guard let factors = adapter.layer(named: layer.name) else { return Reference.DMatrix(layer.weight) }
            return Reference.doraMerge(layer.weight, factors, axis: axis)
        }
        let mergedLogits = Reference.forward(x, merged) { Reference.DMatrix($0.weight) }
        #expect(maxDifference(unmerged, mergedLogits) < Self.logitTolerance)
        #expect(maxDifference(unmerged, Reference.forward(x, base) { Reference.DMatrix($0.weight) }) > 0.1)
    }
}
