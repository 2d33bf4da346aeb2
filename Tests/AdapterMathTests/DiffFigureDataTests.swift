import AdapterCore
import AdapterMath
import AdapterPlots
import AdapterTestSupport
import Foundation
import Testing

/// The figure data of `diff --plot` against an independent float64 reference: numpy computes the
/// relative norm, the singular values (numpy.linalg.svd) and the DoRA paper's per-vector Δm, ΔD.
@Suite struct DiffFigureDataTests {
    /// What numpy says about `a` → `b` (row-major `rows × columns`) along `axis`.
    struct NumpyReference: Decodable {
        var relative: Double
        var singularValues: [Double]
        var magnitudeChanges: [Double]
        var directionChanges: [Double]
    }

    static let numpyScript = """
        import json, sys
        import numpy as np
        q = json.loads(sys.argv[1])
        a = np.array(q["a"], dtype=np.float32).astype(np.float64).reshape(q["rows"], q["columns"])
        b = np.array(q["b"], dtype=np.float32).astype(np.float64).reshape(q["rows"], q["columns"])
        if q["axis"] == "input":
            a, b = a.T, b.T
        d = b - a
        na, nb = np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1)
        print(json.dumps({
            "relative": float(np.linalg.norm(d) / np.linalg.norm(a)),
            "singularValues": np.linalg.svd(d, compute_uv=False).tolist(),
            "magnitudeChanges": np.abs(nb - na).tolist(),
            "directionChanges": (1 - np.sum(a * b, axis=1) / (na * nb)).tolist(),
        }))
        """

    static func numpy(_ a: [Float], _ b: [Float], rows: Int, columns: Int, axis: NormAxis) throws -> NumpyReference {
        let query: [String: Any] = ["a": a.map(Double.init), "b": b.map(Double.init), "rows": rows, "columns": columns, "axis": axis.rawValue]
        let json = String(decoding: try JSONSerialization.data(withJSONObject: query), as: UTF8.self)
        let result = try ExternalProcess.python(["-c", numpyScript, json])
        try #require(result.status == 0, "numpy reference failed: \(result.stderr)")
        return try JSONDecoder().decode(NumpyReference.self, from: Data(result.stdout.utf8))
    }

    static func close(_ x: [Double], _ y: [Double], relativeTo scale: Double, within tolerance: Double = 1e-9) -> Bool {
        x.count == y.count && zip(x, y).allSatisfy { abs($0 - $1) <= tolerance * max(scale, 1e-300) }
    }

    /// A 7×5 weight changed by a rank-2 update and a row scaling, a changed 1-D norm and an
    /// unchanged 4×3 weight.
    func models() throws -> (MemoryTensors, MemoryTensors, a: [Float], b: [Float]) {
        var generator = SeededGenerator(seed: 41)
        let a = generator.floats(35), u = generator.floats(14), v = generator.floats(10), other = generator.floats(12)
        var b = a
        for r in 0..<7 {
            for c in 0..<5 { b[r * 5 + c] += 0.1 * (u[2 * r] * v[c] + u[2 * r + 1] * v[5 + c]) * (r == 3 ? 3 : 1) }
        }
        let first = MemoryTensors(entries: [
            try MemoryTensors.float32("layers.0.up_proj.weight", [7, 5], a),
            try MemoryTensors.float32("layers.0.norm.weight", [5], [1, 1, 1, 1, 1]),
            try MemoryTensors.float32("layers.0.down_proj.weight", [4, 3], other),
        ])
        let second = MemoryTensors(entries: [
            try MemoryTensors.float32("layers.0.up_proj.weight", [7, 5], b),
            try MemoryTensors.float32("layers.0.norm.weight", [5], [1, 2, 1, 1, 1]),
            try MemoryTensors.float32("layers.0.down_proj.weight", [4, 3], other),
        ])
        return (first, second, a, b)
    }

    @Test(arguments: NormAxis.allCases)
    func figureDataMatchesNumpy(axis: NormAxis) throws {
        let (first, second, a, b) = try models()
        let recorder = DiffFigureRecorder()
        let difference = try TensorSetDiff.compare(first, second, labels: ("a", "b"), normAxis: axis, figure: recorder)
        let data = recorder.data(first: "a", second: "b")
        // The norm (1-D) is skipped; the identical down_proj is never decoded, so never recorded.
        #expect(data.modules.map(\.name) == ["layers.0.up_proj"])
        #expect(data.changedModules.count == 1 && data.normAxis == axis)
        let module = try #require(data.modules.first)
        // The figure reuses diff's own comparison: the same numbers as the report.
        #expect(module.comparison == difference.tensors[0].values)

        let reference = try Self.numpy(a, b, rows: 7, columns: 5, axis: axis)
        #expect(abs(module.comparison.relative - reference.relative) <= 1e-12 * reference.relative)
        let singular = try #require(module.detail.singularValues)
        #expect(Self.close(singular, reference.singularValues, relativeTo: reference.singularValues[0]))
        #expect(module.comparison.numericalRank == 2)
        #expect(module.normalizedSpectrum.first == 1 && module.normalizedSpectrum.count == 5)
        let slices = axis == .output ? 7 : 5
        #expect(module.detail.magnitudeChanges.count == slices)
        #expect(Self.close(module.detail.magnitudeChanges, reference.magnitudeChanges, relativeTo: reference.magnitudeChanges.max() ?? 1))
        #expect(Self.close(module.detail.directionChanges, reference.directionChanges, relativeTo: 1, within: 1e-12))
        // The paper's point is the mean of the per-vector points.
        let meanM = reference.magnitudeChanges.reduce(0, +) / Double(slices), meanD = reference.directionChanges.reduce(0, +) / Double(slices)
        #expect(abs(module.comparison.magnitudeChange - meanM) <= 1e-9 * meanM)
        #expect(abs(module.comparison.directionChange - meanD) <= 1e-12)
    }

    @Test func spectrumOmissionsAreNamed() throws {
        let (first, second, _, _) = try models()
        let recorder = DiffFigureRecorder()
        _ = try TensorSetDiff.compare(first, second, labels: ("a", "b"), computeRank: false, figure: recorder)
        let module = try #require(recorder.modules.first)
        #expect(module.detail.singularValues == nil && module.spectrumOmission == .notRequested && module.normalizedSpectrum.isEmpty)
        #expect(module.detail.magnitudeChanges.count == 7)
    }

    @Test func v1CheckpointsAndAdaptersAreRecordedPerLayer() throws {
        let dir = try TemporaryDirectory()
        let base = Checkpoint.random(sizes: [10, 6, 4], seed: 93)
        let adapter = Adapter.random(for: base, method: .lora, rank: 2, seed: 94)
        try base.write(to: dir.file("base.h5"))
        try base.merged(with: [WeightedAdapter(adapter)], baseFingerprint: base.computeFingerprint()).write(to: dir.file("merged.h5"))
        let recorder = DiffFigureRecorder()
        let difference = try CheckpointDiff.compare(dir.file("base.h5"), dir.file("merged.h5"), figure: recorder)
        #expect(recorder.modules.map(\.name) == difference.layers.map(\.name))
        for (module, layer) in zip(recorder.modules, difference.layers) {
            #expect(module.comparison == layer.weight)
            // A rank-2 LoRA merge: the figure's rank is at most 2 and its spectrum falls off after it.
            let rank = try #require(module.comparison.numericalRank)
            #expect(rank <= 2 && module.isChanged)
            #expect(module.normalizedSpectrum.dropFirst(2).allSatisfy { $0 < 1e-4 })
        }

        let other = Adapter.random(for: base, method: .lora, rank: 3, seed: 95)
        let updates = DiffFigureRecorder()
        let adapters = try AdapterDiff.compare(adapter, other, labels: ("a", "b"), normAxis: .input, figure: updates)
        #expect(updates.modules.map(\.name) == adapters.layers.map(\.name))
        #expect(updates.modules.allSatisfy { $0.comparison.normAxis == .input && ($0.comparison.numericalRank ?? 0) <= 5 })
        #expect(updates.modules.first?.detail.magnitudeChanges.count == 10)
        // Adapters are drawn by their updates ΔU, checkpoints by their weights ΔW.
        #expect(updates.data(first: "a", second: "b").quantity == .updates && recorder.data(first: "a", second: "b").quantity == .weights)
        #expect(updates.data(first: "a", second: "b").plot.svg.contains("singular values of ΔU"))
    }
}
