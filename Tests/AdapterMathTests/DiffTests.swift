import AdapterCore
import AdapterMath
import AdapterTestSupport
import Foundation
import Testing

/// diff's figures on cases whose answers are known by construction (spec/math.md §Diff).
@Suite struct DiffTests {
    let dir: TemporaryDirectory
    let base = Checkpoint.random(sizes: [10, 6, 4], seed: 91)

    init() throws {
        dir = try TemporaryDirectory()
        try base.write(to: dir.file("a.h5"))
    }

    func write(_ checkpoint: Checkpoint, _ name: String) throws -> String {
        try checkpoint.write(to: dir.file(name))
        return dir.file(name)
    }

    @Test func identicalFilesAreSame() throws {
        let copy = try write(base, "b.h5")
        let difference = try CheckpointDiff.compare(dir.file("a.h5"), copy)
        #expect(difference.isSame)
        for layer in difference.layers {
            let weight = try #require(layer.weight)
            #expect(weight.frobenius == 0 && weight.maxAbsolute == 0 && weight.numericalRank == 0)
            #expect(abs(weight.cosine - 1) < 1e-12 && weight.magnitudeChange == 0 && abs(weight.directionChange) < 1e-12)
        }
        #expect(difference.summaryLine.contains("same"))
    }

    @Test func scaledRowsChangeMagnitudeNotDirection() throws {
        var scaled = base
        let factors: [Int: Float] = [0: 2, 3: 0.5]
        for (row, factor) in factors {
            for c in 0..<10 { scaled.layers[0].weight[row, c] *= factor }
        }
        let difference = try CheckpointDiff.compare(dir.file("a.h5"), try write(scaled, "b.h5"), normAxis: .output)
        let weight = try #require(difference.layers[0].weight)
        let w = base.layers[0].weight
        func rowNorm(_ r: Int) -> Double { (0..<10).reduce(0.0) { $0 + Double(w[r, $1]) * Double(w[r, $1]) }.squareRoot() }
        // ΔM = (|2 − 1|·‖w₀‖ + |0.5 − 1|·‖w₃‖) / 6 rows; ΔD = 0: scaling keeps every row's direction.
        let expectedM = (rowNorm(0) + 0.5 * rowNorm(3)) / 6
        #expect(abs(weight.magnitudeChange - expectedM) < 1e-6 * expectedM)
        #expect(abs(weight.directionChange) < 1e-12)
        #expect(weight.numericalRank == 2)
        let expectedMax = (0..<10).map { max(abs(Double(w[0, $0])), 0.5 * abs(Double(w[3, $0]))) }.max() ?? 0
        #expect(abs(weight.maxAbsolute - expectedMax) < 1e-6)
        #expect(difference.layers[1].isSame && !difference.isSame)
        #expect(difference.differingLayers == ["fc1"])

        // Along input columns the same change does alter directions.
        let byColumn = try CheckpointDiff.compare(dir.file("a.h5"), dir.file("b.h5"), normAxis: .input)
        #expect(try #require(byColumn.layers[0].weight).directionChange > 1e-4)
    }

    @Test func rankTwoUpdateHasNumericalRankTwo() throws {
        var rng = SeededGenerator(seed: 92)
        let u = rng.matrix(6, 2), v = rng.matrix(2, 10)
        var tuned = base
        var deltaSquares = 0.0, normSquares = 0.0
        for r in 0..<6 {
            for c in 0..<10 {
                let update = Double(u[r, 0] * v[0, c] + u[r, 1] * v[1, c])
                let old = tuned.layers[0].weight[r, c]
                tuned.layers[0].weight[r, c] = Float(Double(old) + update)
                let delta = Double(tuned.layers[0].weight[r, c]) - Double(old)
                deltaSquares += delta * delta
                normSquares += Double(old) * Double(old)
            }
        }
        let difference = try CheckpointDiff.compare(dir.file("a.h5"), try write(tuned, "b.h5"))
        let weight = try #require(difference.layers[0].weight)
        #expect(weight.numericalRank == 2)
        #expect(abs(weight.frobenius - deltaSquares.squareRoot()) < 1e-12)
        #expect(abs(weight.relative - (deltaSquares / normSquares).squareRoot()) < 1e-12)
        #expect(weight.cosine < 1 && weight.cosine > 0)
    }

    @Test func toleranceDecidesSameness() throws {
        var nudged = base
        nudged.layers[1].weight.values[0] *= 1 + 1e-6
        nudged.layers[1].bias[0] += 1e-7
        let path = try write(nudged, "b.h5")
        #expect(!(try CheckpointDiff.compare(dir.file("a.h5"), path)).isSame)
        #expect(try CheckpointDiff.compare(dir.file("a.h5"), path, tolerance: DiffTolerance(atol: 1e-6, rtol: 1e-5)).isSame)
    }

    @Test func refactoredAdaptersHaveMatchingProducts() throws {
        let adapter = Adapter.random(for: base, method: .lora, rank: 3, seed: 93)
        var refactored = adapter
        let q: [Float] = [3, 0.7, -1.9]   // B·diag(q), diag(1/q)·A: same product, other factors
        for index in refactored.layers.indices {
            for r in 0..<refactored.layers[index].b.rows { for k in 0..<3 { refactored.layers[index].b[r, k] *= q[k] } }
            for k in 0..<3 { for c in 0..<refactored.layers[index].a.columns { refactored.layers[index].a[k, c] /= q[k] } }
        }
        let difference = try AdapterDiff.compare(adapter, refactored, labels: ("x", "y"), tolerance: DiffTolerance(atol: 1e-6, rtol: 1e-5))
        #expect(difference.layers.allSatisfy { $0.isRefactored && $0.isSame })
        #expect(difference.isSame && difference.summaryLine.contains("factors differ but the products B·A match"))

        var other = refactored
        other.layers[0].b.values[0] += 0.25
        let changed = try AdapterDiff.compare(adapter, other, labels: ("x", "y"), tolerance: DiffTolerance(rtol: 1e-5))
        #expect(!changed.isSame && !changed.layers[0].productsMatch && changed.layers[0].update?.numericalRank == 1)
    }

    /// A row compared with itself has cosine exactly 1 and ΔD exactly 0, although dot/(‖a‖‖b‖) rounds
    /// to 1 + 2^-52 for some rows (this one, found by search, and a share of random ones).
    @Test func identicalRowsHaveNoDirectionChangeDespiteRounding() throws {
        let row = [0.08282494558699316, 0.8782983255570211, -0.23759152462357513]
        var rows = row
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<2_000 { rows.append(Double.random(in: -1...1, using: &rng)) }
        let count = rows.count / 3
        let used = Array(rows.prefix(count * 3))
        let detail = try WeightComparison.compareInDetail(used, used, rows: count, columns: 3).detail
        let comparison = try WeightComparison.compare(used, used, rows: count, columns: 3)
        #expect(detail.directionChanges.allSatisfy { $0 >= 0 }, "ΔD = 1 − cos is never negative")
        #expect(detail.directionChanges[0] == 0 && comparison.cosine <= 1 && comparison.directionChange >= 0)
    }
}
