import AdapterCore
import AdapterMath
import AdapterTestSupport
import Foundation
import Testing

/// Extraction by truncated SVD recovers a merged low-rank update (spec/math.md §Extraction).
@Suite struct ExtractionTests {
    /// The bound: re-merging the extracted adapter reproduces TUNED to 1e-5 of max |W|.
    static let reproduction = 1e-5

    let dir: TemporaryDirectory
    let base = Checkpoint.random(sizes: [30, 22, 9], seed: 71)

    init() throws {
        dir = try TemporaryDirectory()
        try base.write(to: dir.file("base.h5"))
    }

    func maxRelativeError(_ a: Checkpoint, _ b: Checkpoint) -> Double {
        zip(a.layers, b.layers).map { x, y in
            let error = zip(x.weight.values, y.weight.values).map { abs(Double($0) - Double($1)) }.max() ?? 0
            return error / Double(x.weight.maxAbsoluteValue)
        }.max() ?? 0
    }

    @Test func loraAtTheTrueRankReproducesTheMergedWeights() throws {
        let rank = 3
        let adapter = Adapter.random(for: base, method: .lora, rank: rank, scaling: 1.2, seed: 72)
        _ = try CheckpointMerge.merge(base: dir.file("base.h5"), adapters: [WeightedAdapter(adapter)], output: dir.file("tuned.h5"))
        let (extracted, layers) = try AdapterExtraction.extract(base: dir.file("base.h5"), tuned: dir.file("tuned.h5"), rank: rank)
        #expect(extracted.method == .lora && extracted.rank == rank && extracted.baseFingerprint == base.computeFingerprint())
        for layer in layers { #expect(layer.capturedShare > 1 - 1e-9) }

        let tuned = try Checkpoint.read(from: dir.file("tuned.h5"))
        let remerged = try base.merged(with: [WeightedAdapter(extracted)], baseFingerprint: base.computeFingerprint())
        #expect(maxRelativeError(tuned, remerged) < Self.reproduction)
    }

    @Test func lowerRankReportsTheLeadingShare() throws {
        let adapter = Adapter.random(for: base, method: .lora, rank: 4, seed: 73)
        _ = try CheckpointMerge.merge(base: dir.file("base.h5"), adapters: [WeightedAdapter(adapter)], output: dir.file("tuned.h5"))
        let (_, layers) = try AdapterExtraction.extract(base: dir.file("base.h5"), tuned: dir.file("tuned.h5"), rank: 1)
        let tuned = try Checkpoint.read(from: dir.file("tuned.h5"))
        for (index, report) in layers.enumerated() {
            // Independent reference: σ₁² by power iteration on ΔWᵀΔW, over ‖ΔW‖_F².
            let b = base.layers[index].weight, t = tuned.layers[index].weight
            let delta = Reference.DMatrix(rows: b.rows, columns: b.columns, values: zip(t.values, b.values).map { Double($0) - Double($1) })
            var v = [Double](repeating: 1, count: b.columns), sigmaSquared = 0.0
            for _ in 0..<2000 {
                let u = (0..<b.rows).map { r in (0..<b.columns).reduce(0.0) { $0 + delta[r, $1] * v[$1] } }
                let w = (0..<b.columns).map { c in (0..<b.rows).reduce(0.0) { $0 + delta[$1, c] * u[$1] } }
                let norm = w.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
                sigmaSquared = norm / v.reduce(0.0) { $0 + $1 * $1 }.squareRoot()
                v = w.map { $0 / norm }
            }
            let total = delta.values.reduce(0.0) { $0 + $1 * $1 }
            #expect(abs(report.capturedShare - sigmaSquared / total) < 1e-6)
            #expect(report.capturedShare < 0.9999)
        }
    }

    @Test(arguments: NormAxis.allCases) func doraExtractionReproducesTuned(axis: NormAxis) throws {
        let adapter = Adapter.random(for: base, method: .lora, rank: 2, scaling: 1, seed: 74)
        _ = try CheckpointMerge.merge(base: dir.file("base.h5"), adapters: [WeightedAdapter(adapter)], output: dir.file("tuned.h5"))
        let (extracted, _) = try AdapterExtraction.extract(base: dir.file("base.h5"), tuned: dir.file("tuned.h5"), rank: 2, method: .dora, normAxis: axis)
        #expect(extracted.normAxis == axis)
        let tuned = try Checkpoint.read(from: dir.file("tuned.h5"))
        // Magnitudes are ‖TUNED‖ along the axis, checked by plain loops.
        let first = tuned.layers[0].weight
        let expected = axis == .output
            ? (0..<first.rows).map { r in (0..<first.columns).reduce(0.0) { $0 + Double(first[r, $1]) * Double(first[r, $1]) }.squareRoot() }
            : (0..<first.columns).map { c in (0..<first.rows).reduce(0.0) { $0 + Double(first[$1, c]) * Double(first[$1, c]) }.squareRoot() }
        let magnitude = try #require(extracted.layers[0].magnitude)
        #expect(zip(magnitude, expected).allSatisfy { abs(Double($0) - $1) <= 1e-6 * $1 })
        let remerged = try base.merged(with: [WeightedAdapter(extracted)], baseFingerprint: base.computeFingerprint())
        #expect(maxRelativeError(tuned, remerged) < Self.reproduction)
    }

    @Test func identicalCheckpointsHaveNothingToExtract() throws {
        #expect(throws: ExtractionError.identical(base: dir.file("base.h5"), tuned: dir.file("base.h5"))) {
            try AdapterExtraction.extract(base: dir.file("base.h5"), tuned: dir.file("base.h5"), rank: 2)
        }
    }
}
