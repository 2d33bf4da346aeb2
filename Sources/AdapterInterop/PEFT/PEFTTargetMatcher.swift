import AdapterCore
import AdapterMethods

/// Turns one PEFT module of an adapter into a ``LowRankTarget`` on its base, checking everything
/// PEFT's loader would: the module is targeted by the config, the base has `M.weight` as a 2-D
/// floating-point weight, `lora_A`'s rows agree with `r` / `rank_pattern`, and every factor has
/// the shape the method needs for that weight. Each error names the module.
struct PEFTTargetMatcher {
    /// `model_type`s whose linear layers are transformers' `Conv1D`, stored `[in, out]`: PEFT sets
    /// `fan_in_fan_out = True` for those layers whatever the config says.
    static let conv1DModelTypes: Set<String> = ["gpt2", "openai-gpt", "imagegpt", "decision_transformer"]

    let config: PEFTConfig
    let configPath: String
    let weightsPath: String
    let method: any LowRankMethod.Type
    let targetModules: PEFTTargetModules
    /// Whether the base is a GPT-2-family model (see ``conv1DModelTypes``).
    let conv1DModel: Bool

    /// The target adapting `module`, whose factors are the PEFT keys `keys` (role → key) in
    /// `weights`, and a note for the user when PEFT would have overridden the config's layout.
    func target(module: String, keys: [String: String], weights: SafetensorsFile, base: some TensorReader) throws(InteropError) -> (LowRankTarget, note: String?) {
        func mismatch(_ problem: String) -> InteropError { .adapterMismatch(path: weightsPath, module: module, problem: problem) }
        if let reason = try targetModules.refusal(for: module) {
            throw mismatch("has factors in the adapter but \(reason) in \(configPath)")
        }
        var factors: [String: TensorInfo] = [:]
        for role in method.roles {
            guard let key = keys[role] else {
                throw .missingTensor(path: weightsPath, tensor: PEFTKey.prefix + module + "." + peftName(role),
                                     expected: "one beside the module's other factors (method \(method.name))")
            }
            guard let info = weights.info(named: key) else {
                throw .unsupportedDType(path: weightsPath, tensor: key, dtype: weights.info(key)?.dtype.rawValue ?? "unknown")
            }
            guard info.dtype.isFloatingPoint else { throw mismatch("\(peftName(role)) is stored as \(info.dtype.rawValue); factors must be floating point") }
            factors[role] = TensorInfo(name: role, dtype: info.dtype, shape: info.shape)
        }
        guard let baseInfo = baseWeight(of: module, in: base) else {
            throw mismatch("the base has no tensor \"\(module).weight\" for it to adapt")
        }
        guard baseInfo.shape.count == 2, baseInfo.dtype.isFloatingPoint else {
            throw mismatch("the base tensor \"\(baseInfo.name)\" is \(baseInfo.dtype.rawValue) \(Self.dims(baseInfo.shape)); an adapter target must be a 2-D floating-point weight")
        }
        guard let aShape = factors[Self.rankRole]?.shape, aShape.count == 2 else {
            throw mismatch("\(peftName(Self.rankRole)) is \(Self.dims(factors[Self.rankRole]?.shape ?? [])); expected [rank, in]")
        }
        let rank = aShape[0]
        let configured = try config.rank(for: module, path: configPath)
        guard rank == configured else {
            throw mismatch("\(peftName(Self.rankRole)) has \(rank) rows but adapter_config.json gives rank \(configured) (r / rank_pattern)")
        }
        let scaling = try config.scaling(for: module, path: configPath)
        // PEFT decides the layout by the layer's type: Conv1D is [in, out] (fan_in_fan_out forced
        // on), nn.Linear is [out, in] (fan_in_fan_out forced off, with a warning).
        let layouts: [WeightLayout] = config.fanInFanOut || conv1DModel ? [.inputMajor, .outputMajor] : [.outputMajor]
        var firstProblem: String?
        for layout in layouts {
            let target = LowRankTarget(tensor: baseInfo.name, rank: rank, scaling: scaling, layout: layout, factors: factors)
            if let problem = shapeProblem(target, base: baseInfo) {
                firstProblem = firstProblem ?? problem
                continue
            }
            do { try LowRankMethods.validate(target, method: method, base: baseInfo) } catch { throw mismatch("\(error)") }
            let note = layout == .inputMajor && !config.fanInFanOut
                ? "note: \(configPath) says fan_in_fan_out false, but the base is a GPT-2-family model whose Conv1D weights are [in, out]; read as fan_in_fan_out true, as PEFT does"
                : nil
            return (target, note)
        }
        throw mismatch(firstProblem ?? "does not fit the base")
    }

    /// The role whose first dimension is the rank (`lora_A`, `[rank, in]`, in every method).
    static let rankRole = "A"

    /// The base tensor `module` adapts: `M.weight`, or, for a checkpoint saved without
    /// transformers' base-model prefix (GPT-2's hub files lack `transformer.`), `M` minus its
    /// first component `.weight`.
    private func baseWeight(of module: String, in base: some TensorReader) -> TensorInfo? {
        if let info = base.info(named: module + ".weight") { return info }
        guard let dot = module.firstIndex(of: ".") else { return nil }
        return base.info(named: module[module.index(after: dot)...] + ".weight")
    }

    /// Why `target`'s factors do not fit the base weight in its layout, or nil when they do.
    private func shapeProblem(_ target: LowRankTarget, base: TensorInfo) -> String? {
        guard let (out, inputs) = target.outputsAndInputs(ofBaseShape: base.shape) else { return "the base weight is not 2-D" }
        for (role, expected) in method.factorShapes(out: out, inputs: inputs, rank: target.rank) {
            let found = target.factors[role]?.shape ?? []
            if found != expected {
                let layout = target.layout == .outputMajor ? "[out, in]" : "[in, out] (fan_in_fan_out)"
                return "\(peftName(role)) is \(Self.dims(found)), the base weight needs \(Self.dims(expected)) (\"\(base.name)\" is \(Self.dims(base.shape)), \(layout))"
            }
        }
        return nil
    }

    /// PEFT's name for `role` (`lora_A`, `lora_magnitude_vector`): its first key suffix, bare.
    private func peftName(_ role: String) -> String {
        guard var suffix = method.peftKeySuffixes.first(where: { $0.role == role })?.suffix else { return role }
        if suffix.hasPrefix(".") { suffix.removeFirst() }
        return suffix.hasSuffix(".weight") ? String(suffix.dropLast(".weight".count)) : suffix
    }

    private static func dims(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
}
