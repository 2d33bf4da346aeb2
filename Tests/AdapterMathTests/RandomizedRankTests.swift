import AdapterCore
import AdapterMath
import AdapterTestSupport
import Testing

/// diff's numerical rank from the randomized leading singular values equals the exact SVD's count
/// (spec/math.md §Numerical rank), including where the probe must double and where it falls back.
@Suite struct RandomizedRankTests {
    /// A float32 pair: base Gaussian, tuned = base + a rank-`rank` update (+ `noise`·Gaussian), rounded
    /// to float32 as a stored fine-tune would be.
    static func pair(rows: Int, columns: Int, rank: Int, noise: Double = 0, seed: UInt64) -> (a: [Float], b: [Float]) {
        var rng = SeededGenerator(seed: seed)
        let base = (0..<rows * columns).map { _ in Float(rng.normal()) }
        let left = (0..<rows * rank).map { _ in rng.normal() }, right = (0..<rank * columns).map { _ in rng.normal() }
        var update = [Double](repeating: 0, count: rows * columns)
        BLAS.gemm(.none, .none, m: rows, n: columns, k: rank, alpha: 1e-2 / Double(rank).squareRoot(), a: left, lda: rank,
                  b: right, ldb: columns, c: &update, ldc: columns)
        let tuned = (0..<rows * columns).map { Float(Double(base[$0]) + update[$0] + noise * rng.normal()) }
        return (base, tuned)
    }

    static func ranks(_ pair: (a: [Float], b: [Float]), rows: Int, columns: Int) throws -> (randomized: WeightComparison, exact: WeightComparison, detail: WeightComparisonDetail) {
        let randomized = try WeightComparison.compareInDetail(pair.a, pair.b, rows: rows, columns: columns, algorithm: .randomized)
        let exact = try WeightComparison.compare(pair.a, pair.b, rows: rows, columns: columns, algorithm: .exact)
        return (randomized.comparison, exact, randomized.detail)
    }

    @Test(arguments: [(1, 320, 300), (8, 320, 300), (40, 330, 310)])
    func lowRankUpdatesCountTheSameAsTheExactSVD(rank: Int, rows: Int, columns: Int) throws {
        #expect(RandomizedSVD.pays(rank: NumericalRank.initialProbe, rows: rows, columns: columns))
        let (randomized, exact, detail) = try Self.ranks(Self.pair(rows: rows, columns: columns, rank: rank, seed: 600 + UInt64(rank)), rows: rows, columns: columns)
        #expect(exact.numericalRank == rank && randomized.numericalRank == rank)
        let leading = try #require(randomized.leadingSingularValues), truth = try #require(exact.leadingSingularValues)
        for (x, y) in zip(leading, truth).prefix(rank) { #expect(abs(x - y) <= 1e-9 * y) }
        #expect(abs(try #require(randomized.rankTolerance) - (try #require(exact.rankTolerance))) <= 1e-9 * (try #require(exact.rankTolerance)))
        // diff --plot's spectrum still gets its 64 values.
        #expect(detail.singularValues?.count == WeightComparisonDetail.keptSingularValues)
    }

    /// Rank 100 > the first probe of 64: the probe doubles to 128 (allowed here by a doubling fraction
    /// of 4, so that a 600 × 560 matrix suffices), whose smallest value is below the tolerance.
    @Test func theProbeDoublesPastTheFirstSixtyFour() throws {
        let (rows, columns) = (600, 560)
        let pair = Self.pair(rows: rows, columns: columns, rank: 100, seed: 610)
        let delta = zip(pair.b, pair.a).map { Double($0) - Double($1) }
        let largest = Double(max(pair.a.map(abs).max() ?? 0, pair.b.map(abs).max() ?? 0))
        let doubled = try NumericalRank.spectrum(of: delta, rows: rows, columns: columns, largestWeight: largest, algorithm: .randomized,
                                                 doublingFraction: 4, what: "ΔW")
        #expect(doubled.values.count == 128 && doubled.values.filter { $0 > doubled.tolerance }.count == 100)
        let (randomized, exact, _) = try Self.ranks(pair, rows: rows, columns: columns)
        #expect(exact.numericalRank == 100 && randomized.numericalRank == 100)
    }

    /// Full-rank noise above the tolerance: the probe cannot end below it, so the exact SVD decides.
    @Test func fullRankNoiseFallsBackToTheExactSVD() throws {
        let (rows, columns) = (320, 300)
        let (randomized, exact, _) = try Self.ranks(Self.pair(rows: rows, columns: columns, rank: 4, noise: 1e-3, seed: 611), rows: rows, columns: columns)
        #expect(exact.numericalRank == columns && randomized.numericalRank == columns)
        #expect(randomized.leadingSingularValues == exact.leadingSingularValues)
    }
}
