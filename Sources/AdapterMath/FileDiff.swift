import AdapterCore

/// The result of diffing two adaptool files of the same kind.
public enum FileDifference: Sendable {
    /// Two checkpoints.
    case checkpoints(CheckpointDifference)
    /// Two adapters.
    case adapters(AdapterDifference)

    /// Whether the files are the same within the tolerance.
    public var isSame: Bool {
        switch self {
        case .checkpoints(let difference): return difference.isSame
        case .adapters(let difference): return difference.isSame
        }
    }

    /// The one-line summary.
    public var summaryLine: String {
        switch self {
        case .checkpoints(let difference): return difference.summaryLine
        case .adapters(let difference): return difference.summaryLine
        }
    }
}

/// Why two files could not be diffed.
public enum DiffError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A checkpoint was given with an adapter.
    case mixedKinds(checkpoint: String, adapter: String)

    /// The single error line shown to users.
    public var description: String {
        switch self {
        case .mixedKinds(let checkpoint, let adapter):
            return "\(adapter) is an adapter but \(checkpoint) is a checkpoint; diff compares two checkpoints or two adapters (merge the adapter first)"
        }
    }
}

/// Diffing files of either kind.
public enum FileDiff {
    /// Whether `path` is an adapter (true) or a checkpoint (false), by its `format` attribute.
    public static func isAdapter(_ path: String) throws -> Bool {
        do {
            _ = try CheckpointFile(path: path)
            return false
        } catch FormatError.wrongKind(_, _, let found) where found == FormatV1.adapterFormat {
            return true
        }
    }

    /// Diffs `pathA` and `pathB`, two checkpoints or two adapters; `figure` collects what a diff
    /// figure draws.
    public static func compare(_ pathA: String, _ pathB: String, tolerance: DiffTolerance = DiffTolerance(),
                               normAxis: NormAxis = .output, computeRank: Bool = true, algorithm: SVDAlgorithm = .randomized,
                               figure: DiffFigureRecorder? = nil) throws -> FileDifference {
        switch (try isAdapter(pathA), try isAdapter(pathB)) {
        case (false, false):
            return .checkpoints(try CheckpointDiff.compare(pathA, pathB, tolerance: tolerance, normAxis: normAxis, computeRank: computeRank, algorithm: algorithm,
                                                           figure: figure))
        case (true, true):
            return .adapters(try AdapterDiff.compare(try Adapter.read(from: pathA), try Adapter.read(from: pathB), labels: (pathA, pathB),
                                                     tolerance: tolerance, normAxis: normAxis, computeRank: computeRank, algorithm: algorithm, figure: figure))
        case (false, true): throw DiffError.mixedKinds(checkpoint: pathA, adapter: pathB)
        case (true, false): throw DiffError.mixedKinds(checkpoint: pathB, adapter: pathA)
        }
    }
}
