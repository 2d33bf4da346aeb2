import AdapterCore
import AdapterMath

/// `adaptool diff A B` when a side is not a v1 HDF5 file: two models (v2 checkpoints, model
/// folders, `.safetensors` files, or a v1 checkpoint seen as tensors) compared tensor by tensor,
/// or two adapters (v2, or v1 through its view) compared target by target.
public enum TensorFileDiff {
    /// What was compared.
    public enum Result: Sendable {
        /// Two models.
        case tensors(TensorSetDifference)
        /// Two adapters.
        case adapters(TensorAdapterDifference)

        /// Whether the two are the same within the tolerance.
        public var isSame: Bool {
            switch self {
            case .tensors(let difference): return difference.isSame
            case .adapters(let difference): return difference.isSame
            }
        }

        /// The one-line summary.
        public var summaryLine: String {
            switch self {
            case .tensors(let difference): return difference.summaryLine
            case .adapters(let difference): return difference.summaryLine
            }
        }
    }

    /// Whether this diff handles `a` and `b`: when either is a v2 adaptool file, a model folder,
    /// a safetensors file or a PEFT folder (two v1 files, or paths that are nothing readable, go
    /// to the v1 diff, which words its own errors).
    public static func handles(_ a: String, _ b: String) -> Bool {
        [FileKind.detect(a), FileKind.detect(b)].contains { kind in
            switch kind {
            case .checkpoint(FormatV2.version), .adapter(FormatV2.version), .modelFolder, .safetensors, .peftFolder: return true
            default: return false
            }
        }
    }

    private static let expected = "diff compares two models (adaptool checkpoints, model folders, .safetensors files) or two adaptool adapters"

    /// Diffs `a` against `b`. `base` (a model path) supplies the weights a non-additive method's
    /// ΔW depends on when two adapters are compared. ΔM and ΔD are taken along `normAxis`;
    /// `figure` collects what a diff figure draws.
    public static func compare(_ a: String, _ b: String, base: String? = nil, tolerance: DiffTolerance = DiffTolerance(),
                               normAxis: NormAxis = .output, computeRank: Bool = true, algorithm: SVDAlgorithm = .randomized,
                               figure: DiffFigureRecorder? = nil) throws -> Result {
        let kindA = FileKind.detect(a), kindB = FileKind.detect(b)
        switch (TensorSources.isModel(kindA), TensorSources.isModel(kindB)) {
        case (true, true):
            let sourceA = try TensorSources.open(a, kind: kindA, expected: expected), sourceB = try TensorSources.open(b, kind: kindB, expected: expected)
            return .tensors(try TensorSetDiff.compare(sourceA.reader, sourceB.reader, labels: (a, b), tolerance: tolerance, normAxis: normAxis,
                                                      computeRank: computeRank, algorithm: algorithm, figure: figure))
        case (false, false):
            let adapterA = try adapter(a, kind: kindA), adapterB = try adapter(b, kind: kindB)
            let reader = try base.map { path throws(InteropError) in try TensorSources.open(path).reader }
            return .adapters(try TensorAdapterDiff.compare(adapterA, adapterB, labels: (a, b), base: reader, tolerance: tolerance,
                                                           normAxis: normAxis, computeRank: computeRank, algorithm: algorithm, figure: figure))
        case (true, false):
            _ = try adapter(b, kind: kindB)
            throw DiffError.mixedKinds(checkpoint: a, adapter: b)
        case (false, true):
            _ = try adapter(a, kind: kindA)
            throw DiffError.mixedKinds(checkpoint: b, adapter: a)
        }
    }

    /// The adapter at `path` as low-rank targets: a v2 adapter, or a v1 adapter through its view.
    private static func adapter(_ path: String, kind: FileKind) throws -> any LowRankFactorSource {
        switch kind {
        case .adapter(FormatV2.version): return try TensorAdapterFile(path: path)
        case .adapter: return try V1AdapterFactors(try Adapter.read(from: path), path: path)
        case .peftFolder:
            throw InteropError.unknownSource(path: path, problem: "is a PEFT adapter folder; import it first (adaptool import \(path) --base BASE -o adapter.h5), then diff the adaptool adapters")
        default:
            throw InteropError.unknownSource(path: path, problem: "is \(kind.summary); \(expected)")
        }
    }
}
