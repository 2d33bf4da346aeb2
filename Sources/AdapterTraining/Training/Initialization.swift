import AdapterCore

/// How LoRA's A factor is drawn (B always starts at zero, so training starts from the base model).
public enum LowRankInitialization: String, Sendable, Codable, CaseIterable {
    /// A ~ N(0, 1/rank), as the reference notebook.
    case gaussian
    /// A ~ U(−1/√in, 1/√in): PyTorch's kaiming-uniform with a = √5, as PEFT.
    case kaiming
}

/// What adapter to train: method, rank, scaling, targets and initialisation.
public struct AdapterRecipe: Sendable, Codable, Equatable {
    /// LoRA or DoRA.
    public var method: AdapterMethod
    /// Rank of A and B.
    public var rank: Int
    /// The trainer's alpha (recorded); ``scaling`` is what is applied.
    public var alpha: Double
    /// ΔW = scaling · B · A.
    public var scaling: Double
    /// Layers to adapt; nil adapts every layer.
    public var targets: [String]?
    /// How A is drawn.
    public var initialization: LowRankInitialization
    /// DoRA's norm axis (ignored for LoRA).
    public var normAxis: NormAxis
    /// DoRA: treat ‖V‖ as a constant in the backward pass.
    public var detachNorm: Bool

    /// A recipe; the defaults are the reference notebook's LoRA (rank 4, scaling 8, all layers, gaussian).
    public init(method: AdapterMethod, rank: Int = 4, alpha: Double? = nil, scaling: Double = 8, targets: [String]? = nil,
                initialization: LowRankInitialization = .gaussian, normAxis: NormAxis = .output, detachNorm: Bool = false) {
        self.method = method
        self.rank = rank
        self.alpha = alpha ?? scaling * Double(rank)
        self.scaling = scaling
        self.targets = targets
        self.initialization = initialization
        self.normAxis = normAxis
        self.detachNorm = detachNorm
    }

    /// A fresh adapter for `base`: A drawn by ``initialization``, B zero, DoRA magnitudes set to
    /// the base weight's norms along the axis (so the adapted model starts equal to the base).
    public func initialAdapter(for base: Checkpoint, baseFingerprint: String, seed: UInt64) throws(TrainingError) -> Adapter {
        guard rank >= 1 else { throw .invalidOption(name: "--rank", problem: "is \(rank); expected a positive integer") }
        guard scaling.isFinite else { throw .invalidOption(name: "--scaling", problem: "must be finite") }
        let names = targets ?? base.layerNames
        let unknown = names.filter { base.layer(named: $0) == nil }
        guard unknown.isEmpty, !names.isEmpty else {
            throw .invalidOption(name: "--targets", problem: "\(unknown.joined(separator: ", ")) not in the base (layers: \(base.layerNames.joined(separator: ", ")))")
        }
        var random = SeededRandom(seed: seed ^ 0x00AD_A9E7)
        var layers: [AdapterLayer] = []
        for layer in base.layers where names.contains(layer.name) {
            guard rank <= min(layer.inputSize, layer.outputSize) else {
                throw .invalidOption(name: "--rank", problem: "\(rank) exceeds layer \(layer.name)'s smaller side \(min(layer.inputSize, layer.outputSize))")
            }
            let count = rank * layer.inputSize
            let a: [Float] = switch initialization {
            case .gaussian: (0..<count).map { _ in Float(random.normal() / Double(rank).squareRoot()) }
            case .kaiming: (0..<count).map { _ in random.symmetric(1 / Double(layer.inputSize).squareRoot()) }
            }
            var magnitude: [Float]?
            if method == .dora {
                magnitude = Self.norms(of: layer.weight, axis: normAxis)
            }
            layers.append(AdapterLayer(name: layer.name, a: Matrix(rows: rank, columns: layer.inputSize, values: a),
                                       b: Matrix(rows: layer.outputSize, columns: rank), magnitude: magnitude, scaling: scaling))
        }
        return Adapter(method: method, rank: rank, alpha: alpha, scaling: scaling, normAxis: method == .dora ? normAxis : nil,
                       baseFingerprint: baseFingerprint, layers: layers)
    }

    /// Euclidean norms of the rows (`output`) or columns (`input`) of `weight`, in float64.
    static func norms(of weight: Matrix, axis: NormAxis) -> [Float] {
        var sums = [Double](repeating: 0, count: axis == .output ? weight.rows : weight.columns)
        for row in 0..<weight.rows {
            for column in 0..<weight.columns {
                let value = Double(weight[row, column])
                sums[axis == .output ? row : column] += value * value
            }
        }
        return sums.map { Float($0.squareRoot()) }
    }
}

extension Checkpoint {
    /// A fresh MLP `input → hidden… → classes` named `fc1, fc2, …`, initialised as PyTorch's
    /// `nn.Linear` (kaiming-uniform with a = √5: W and b ~ U(−1/√in, 1/√in)).
    public static func initialized(inputSize: Int, hidden: [Int], classes: Int, seed: UInt64, metadata: CheckpointMetadata = CheckpointMetadata()) -> Checkpoint {
        var random = SeededRandom(seed: seed)
        let sizes = [inputSize] + hidden + [classes]
        let layers = zip(sizes, sizes.dropFirst()).enumerated().map { index, pair in
            let bound = 1 / Double(pair.0).squareRoot()
            let weight = (0..<(pair.0 * pair.1)).map { _ in random.symmetric(bound) }
            let bias = (0..<pair.1).map { _ in random.symmetric(bound) }
            return Layer(name: "fc\(index + 1)", weight: Matrix(rows: pair.1, columns: pair.0, values: weight), bias: bias)
        }
        return Checkpoint(layers: layers, metadata: metadata)
    }
}
