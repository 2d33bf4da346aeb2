import AdapterCore
import AdapterMath
import AdapterTestSupport
import Testing

/// Merge against the independent float64 reference (spec/math.md §Merge, §Precision).
@Suite struct MergeReferenceTests {
    /// float32 output must match the float64 reference to this share of the layer's max |W|.
    static let tolerance = 1e-6

    // Odd sizes so row blocks, ranks and columns never line up by accident.
    let base = Checkpoint.random(sizes: [37, 53, 29], seed: 11)

    @Test func loraMatchesReference() throws {
        let adapter = Adapter.random(for: base, method: .lora, rank: 5, scaling: 1.75, seed: 3)
        let merged = try base.merged(with: [WeightedAdapter(adapter, weight: 0.6)], baseFingerprint: base.computeFingerprint())
        for (layer, result) in zip(base.layers, merged.layers) {
            let reference = Reference.loraMerge(layer.weight, [(try #require(adapter.layer(named: layer.name)), 0.6)])
            #expect(Reference.relativeError(result.weight, reference, scale: layer.weight) < Self.tolerance)
            #expect(result.bias == layer.bias)
            #expect(result.weight != layer.weight)
        }
    }

    @Test(arguments: NormAxis.allCases) func doraMatchesReference(axis: NormAxis) throws {
        let adapter = Adapter.random(for: base, method: .dora, rank: 3, scaling: 0.5, normAxis: axis, seed: 4)
        let merged = try base.merged(with: [WeightedAdapter(adapter)], baseFingerprint: base.computeFingerprint())
        for (layer, result) in zip(base.layers, merged.layers) {
            let reference = Reference.doraMerge(layer.weight, try #require(adapter.layer(named: layer.name)), axis: axis)
            #expect(Reference.relativeError(result.weight, reference, scale: layer.weight) < Self.tolerance)
        }
    }

    @Test func doraAxesGiveDifferentResults() throws {
        // Guards against an implementation that ignores norm_axis: both would pass the test above
        // only if they really follow their own axis.
        let byRow = Adapter.random(for: base, method: .dora, rank: 2, normAxis: .output, seed: 8)
        var byColumn = byRow
        byColumn.normAxis = .input
        byColumn.layers = byRow.layers.map { layer in
            var copy = layer
            copy.magnitude = Array(repeating: 1, count: layer.a.columns)
            return copy
        }
        let first = try base.merged(with: [WeightedAdapter(byRow)], baseFingerprint: base.computeFingerprint())
        let second = try base.merged(with: [WeightedAdapter(byColumn)], baseFingerprint: base.computeFingerprint())
        #expect(first.layers[0].weight != second.layers[0].weight)
    }

    @Test func severalLoRAAdaptersAddWithTheirWeights() throws {
        let first = Adapter.random(for: base, method: .lora, rank: 4, scaling: 2, seed: 5)
        var second = Adapter.random(for: base, method: .lora, rank: 2, scaling: 0.25, seed: 6)
        second.layers.removeLast()   // the second adapter touches only fc1
        let merged = try base.merged(with: [WeightedAdapter(first, weight: 0.7), WeightedAdapter(second, weight: -1.3)],
                                     baseFingerprint: base.computeFingerprint())
        for (layer, result) in zip(base.layers, merged.layers) {
            var parts: [(layer: AdapterLayer, weight: Double)] = [(try #require(first.layer(named: layer.name)), 0.7)]
            if let extra = second.layer(named: layer.name) { parts.append((extra, -1.3)) }
            let reference = Reference.loraMerge(layer.weight, parts)
            #expect(Reference.relativeError(result.weight, reference, scale: layer.weight) < Self.tolerance)
        }
    }

    @Test func largeLayerSpanningManyRowBlocksMatchesReference() throws {
        // 300 × 1000: the kernel's 2^18-double blocks hold 262 rows, so this crosses a block boundary.
        let big = Checkpoint.random(sizes: [1000, 300], seed: 21)
        for axis in NormAxis.allCases {
            let adapter = Adapter.random(for: big, method: .dora, rank: 3, normAxis: axis, seed: 22)
            let merged = try big.merged(with: [WeightedAdapter(adapter)], baseFingerprint: big.computeFingerprint())
            let reference = Reference.doraMerge(big.layers[0].weight, adapter.layers[0], axis: axis)
            #expect(Reference.relativeError(merged.layers[0].weight, reference, scale: big.layers[0].weight) < Self.tolerance)
        }
    }
}
