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
    /// Where the recorded modules come from.
    private var source: Source?

    /// What a diff compares, which decides the figure's wording and order.
    enum Source {
        /// v1 checkpoint layers: weights, in the file's layer order.
        case layers
        /// Named tensors of two models: weights, stored alphabetically.
        case tensors
        /// v1 adapter layers: updates ΔU, in the file's layer order.
        case adapterLayers
        /// v2 adapter targets: updates ΔU, named tensors.
        case adapterTargets

        /// Whether names come from named tensors, whose stored order is alphabetical (safetensors
        /// sorts by name: `layers.10` before `layers.2`) rather than the model's.
        var isNamedTensors: Bool { self == .tensors || self == .adapterTargets }
        /// What ΔW is the difference of.
        var quantity: DiffFigureData.Quantity { self == .adapterLayers || self == .adapterTargets ? .updates : .weights }
    }

    /// An empty recorder.
    public init() {}

    /// Records one comparison of a `rows × columns` pair; `rankRequested` tells a spectrum that was
    /// not asked for from one that was skipped. Callers record matrices only (per-vector
    /// magnitudes need one), never biases or other 1-D tensors.
    /// `source` says what the diff compares (see ``data(first:second:)``).
    func record(_ name: String, rows: Int, columns: Int, _ result: (comparison: WeightComparison, detail: WeightComparisonDetail),
                rankRequested: Bool, source: Source) {
        self.source = source
        var omission: SpectrumOmission?
        if result.detail.singularValues == nil {
            omission = !rankRequested ? .notRequested : (result.comparison.frobenius.isFinite ? .tooLarge : .nonFinite)
        }
        modules.append(DiffFigureModule(name: name, rows: rows, columns: columns, comparison: result.comparison,
                                        detail: result.detail, spectrumOmission: omission))
    }

    /// The figure data of the diff of `first` and `second`: weights or adapter updates, as
    /// recorded, in model order: a v1 file's layer order, or for named tensors their names in
    /// natural order (numbers by value, so `layers.2` comes before `layers.10`), since files
    /// store those alphabetically.
    public func data(first: String, second: String) -> DiffFigureData {
        let named = source?.isNamedTensors ?? false
        let ordered = named ? modules.sorted { Self.naturalKey($0.name).lexicographicallyPrecedes(Self.naturalKey($1.name)) } : modules
        return DiffFigureData(first: first, second: second, quantity: source?.quantity ?? .weights, modules: ordered)
    }

    /// Element of a natural sort key: a run of digits by value, anything else by its text.
    enum NaturalPart: Comparable {
        case number(Double), text(String)
    }

    /// `name` split into runs of digits and of other characters, for a natural sort.
    static func naturalKey(_ name: String) -> [NaturalPart] {
        var parts: [NaturalPart] = [], run = "", digits = false
        for character in name {
            if !run.isEmpty, character.isASCII && character.isNumber != digits {
                parts.append(digits ? .number(Double(run) ?? 0) : .text(run))
                run = ""
            }
            digits = character.isASCII && character.isNumber
            run.append(character)
        }
        if !run.isEmpty { parts.append(digits ? .number(Double(run) ?? 0) : .text(run)) }
        return parts
    }
}
