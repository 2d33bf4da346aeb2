import AdapterCore

/// Why a module of a diff figure has no singular-value spectrum.
public enum SpectrumOmission: Sendable, Equatable {
    /// The SVD was not asked for (`computeRank: false`, the CLI's `--no-rank`).
    case notRequested
    /// ΔW has more elements than ``TensorSetDiff/rankElementLimit``.
    case tooLarge
    /// ΔW holds NaN or infinity.
    case nonFinite
}

/// One 2-D weight of a diff figure (a v1 layer, a model's weight tensor, an adapter's target),
/// with the figures diff computed for it in its single pass over the pair.
public struct DiffFigureModule: Sendable, Equatable {
    /// The module's name: the layer, or the tensor's name without a trailing `.weight`.
    public var name: String
    /// ΔW's shape.
    public var rows: Int, columns: Int
    /// diff's summary figures: relative ‖ΔW‖, numerical rank, ΔM and ΔD (the paper's point).
    public var comparison: WeightComparison
    /// The per-vector Δm_n, ΔD_n and the leading singular values.
    public var detail: WeightComparisonDetail
    /// Why ``WeightComparisonDetail/singularValues`` is nil (nil when it is not).
    public var spectrumOmission: SpectrumOmission?

    /// Whether the weight differs beyond the diff's tolerance (what diff reports as "no").
    public var isChanged: Bool { !comparison.withinTolerance }

    /// σ_i / σ_1 for the kept singular values (empty when σ_1 is 0 or there is no spectrum).
    public var normalizedSpectrum: [Double] {
        guard let values = detail.singularValues, let largest = values.first, largest > 0 else { return [] }
        return values.map { $0 / largest }
    }

    /// The module name of a tensor: `model.layers.0.mlp.up_proj.weight` → `model.layers.0.mlp.up_proj`;
    /// other names are kept whole.
    public static func name(ofTensor tensor: String) -> String {
        tensor.hasSuffix(".weight") ? String(tensor.dropLast(".weight".count)) : tensor
    }
}

/// What `diff --plot` draws: every 2-D weight pair diff compared, in model order, with its
/// relative ‖ΔW‖_F, ΔW's spectrum and the DoRA paper's magnitude/direction changes.
/// 1-D tensors (biases, norms) and pairs whose shapes differ are not in it.
public struct DiffFigureData: Sendable, Equatable {
    /// What ΔW is the difference of.
    public enum Quantity: String, Sendable, Equatable {
        /// Two sets of weights: ΔW = W_B − W_A, relative to ‖W_A‖.
        case weights
        /// Two adapters' effective updates: ΔU = U_B − U_A, relative to ‖U_A‖.
        case updates
    }

    /// The labels (paths) of the two sides.
    public var first: String, second: String
    /// Weights or adapter updates.
    public var quantity: Quantity
    /// Every 2-D weight compared, in the first side's order.
    public var modules: [DiffFigureModule]

    /// The modules that differ beyond the tolerance, in model order.
    public var changedModules: [DiffFigureModule] { modules.filter(\.isChanged) }

    /// The slices ΔM and ΔD are taken over (the first module's; diff uses one axis per run).
    public var normAxis: NormAxis { modules.first?.comparison.normAxis ?? .output }
}

/// Collects a ``DiffFigureModule`` for each 2-D weight pair while a diff runs, so that a figure
/// costs no second read and no second SVD. Pass one to a diff's `figure:` parameter.
public final class DiffFigureRecorder {
    /// The modules recorded so far, in the order the diff compared them.
    public private(set) var modules: [DiffFigureModule] = []

    /// An empty recorder.
    public init() {}

    /// Records one comparison of a `rows × columns` pair; `rankRequested` tells a spectrum that was
    /// not asked for from one that was skipped. Callers record matrices only (per-vector
    /// magnitudes need one), never biases or other 1-D tensors.
    func record(_ name: String, rows: Int, columns: Int, _ result: (comparison: WeightComparison, detail: WeightComparisonDetail),
                rankRequested: Bool) {
        var omission: SpectrumOmission?
        if result.detail.singularValues == nil {
            omission = !rankRequested ? .notRequested : (result.comparison.frobenius.isFinite ? .tooLarge : .nonFinite)
        }
        modules.append(DiffFigureModule(name: name, rows: rows, columns: columns, comparison: result.comparison,
                                        detail: result.detail, spectrumOmission: omission))
    }

    /// The figure data of the diff of `first` and `second`.
    public func data(first: String, second: String, quantity: DiffFigureData.Quantity) -> DiffFigureData {
        DiffFigureData(first: first, second: second, quantity: quantity, modules: modules)
    }
}
