import AdapterCore

/// One layer of a checkpoint-vs-checkpoint diff.
public struct LayerDifference: Sendable, Codable, Equatable {
    /// The layer's name.
    public var name: String
    /// Weight shape in the first file (nil when the layer is missing there).
    public var shapeA: [Int]?
    /// Weight shape in the second file.
    public var shapeB: [Int]?
    /// The weight metrics (nil unless both shapes are equal).
    public var weight: WeightComparison?
    /// The bias metrics (nil unless both shapes are equal).
    public var bias: BiasComparison?

    /// Whether the layer is the same in both files within the tolerance.
    public var isSame: Bool { shapeA != nil && shapeA == shapeB && (weight?.withinTolerance ?? false) && (bias?.withinTolerance ?? false) }
}

/// A checkpoint-vs-checkpoint diff (spec/math.md §Diff).
public struct CheckpointDifference: Sendable, Codable, Equatable {
    /// The first file.
    public var pathA: String
    /// The second file.
    public var pathB: String
    /// Stored fingerprints.
    public var fingerprintA: String, fingerprintB: String
    /// The tolerance used.
    public var tolerance: DiffTolerance
    /// Every layer in either file: the first file's order, then layers only the second has.
    public var layers: [LayerDifference]
    /// Whether the layer order differs (same names, other order).
    public var orderDiffers: Bool

    /// Whether the two files hold the same model within the tolerance.
    public var isSame: Bool { !orderDiffers && layers.allSatisfy(\.isSame) }

    /// Layers that differ (or exist in one file only).
    public var differingLayers: [String] { layers.filter { !$0.isSame }.map(\.name) }

    /// The one-line summary printed after the table.
    public var summaryLine: String {
        let compared = layers.compactMap(\.weight)
        let total = compared.reduce(0.0) { $0 + $1.frobenius * $1.frobenius }.squareRoot()
        let largest = compared.map(\.maxAbsolute).max() ?? 0
        if isSame {
            return "\(pathA) and \(pathB): same within atol \(tolerance.atol), rtol \(tolerance.rtol) (\(layers.count) layers)"
        }
        return "\(pathA) and \(pathB): \(differingLayers.count) of \(layers.count) layers differ; total ‖ΔW‖_F \(Self.format(total)), max |ΔW| \(Self.format(largest))"
            + (orderDiffers ? "; layer order differs" : "")
    }

    private static func format(_ value: Double) -> String { String(format: "%.4g", value) }
}

/// Comparing two checkpoint files layer by layer (one layer of each in memory at a time).
public enum CheckpointDiff {
    /// Diffs the checkpoints at `pathA` and `pathB`. ΔM and ΔD are taken along `normAxis`;
    /// `computeRank` runs an SVD per changed layer (randomized, or LAPACK's full one with `algorithm: .exact`); `figure` collects what a diff figure draws.
    public static func compare(_ pathA: String, _ pathB: String, tolerance: DiffTolerance = DiffTolerance(),
                               normAxis: NormAxis = .output, computeRank: Bool = true, algorithm: SVDAlgorithm = .randomized,
                               figure: DiffFigureRecorder? = nil) throws -> CheckpointDifference {
        let fileA = try CheckpointFile(path: pathA), fileB = try CheckpointFile(path: pathB)
        let namesB = Set(fileB.layerNames)
        let shared = fileA.layerNames.filter(namesB.contains)
        var layers: [LayerDifference] = []
        let namesA = Set(fileA.layerNames)
        for name in fileA.layerNames + fileB.layerNames.filter({ !namesA.contains($0) }) {
            let shapeA = fileA.layerShape(name), shapeB = fileB.layerShape(name)
            var entry = LayerDifference(name: name, shapeA: shapeA, shapeB: shapeB)
            if let shapeA, shapeA == shapeB {
                let a = try fileA.readLayer(name), b = try fileB.readLayer(name)
                let weight = try WeightComparison.compareInDetail(a.weight.values, b.weight.values, rows: shapeA[0], columns: shapeA[1], normAxis: normAxis,
                                                                  tolerance: tolerance, computeRank: computeRank, algorithm: algorithm, what: "ΔW of layer \"\(name)\"")
                entry.weight = weight.comparison
                figure?.record(name, rows: shapeA[0], columns: shapeA[1], weight, rankRequested: computeRank, source: .layers)
                entry.bias = BiasComparison.compare(a.bias, b.bias, tolerance: tolerance)
            }
            layers.append(entry)
        }
        return CheckpointDifference(pathA: pathA, pathB: pathB, fingerprintA: fileA.storedFingerprint, fingerprintB: fileB.storedFingerprint,
                                    tolerance: tolerance, layers: layers, orderDiffers: shared != fileB.layerNames.filter(Set(fileA.layerNames).contains))
    }
}
