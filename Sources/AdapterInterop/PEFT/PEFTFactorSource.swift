import AdapterCore
import AdapterMethods
import Foundation

/// A PEFT LoRA/DoRA adapter folder on any model, matched against the base it belongs to: each
/// PEFT module `M` adapts the base tensor `M.weight`, with the rank its `lora_A` has, the scaling
/// PEFT computes (alpha / r or alpha / √r, `rank_pattern` / `alpha_pattern` resolved as PEFT
/// resolves them) and the method the config's flags select in the method registry. Everything is
/// checked when the source is opened (module present in the base, shapes, ranks, dtypes,
/// `target_modules`); factor values are read one tensor at a time, on request.
public final class PEFTFactorSource: LowRankFactorSource {
    /// What reading throws.
    public typealias Failure = InteropError

    /// The adapter's folder.
    public let folder: PEFTFolder
    /// Its validated `adapter_config.json`.
    public let config: PEFTConfig
    /// The method the config selects (`use_dora` → DoRA, else LoRA).
    public let method: any LowRankMethod.Type
    /// Targets in the base's tensor order, method and provenance; no base fingerprint (the caller
    /// that knows the base's fingerprint sets it).
    public let manifest: LowRankManifest
    /// Things the user should be told (one line each), e.g. a layout PEFT would force.
    public let notes: [String]
    private let weights: SafetensorsFile
    /// The PEFT key holding each role of each target, by base tensor name.
    private let keys: [String: [String: String]]

    /// Opens the PEFT adapter at `path` (its folder, config or weights) against `base`; see
    /// ``init(folder:base:baseArchitecture:)``.
    public convenience init(folder path: String, base: some TensorReader, baseArchitecture: String? = nil) throws(InteropError) {
        guard let folder = try PEFTFolder.locate(path) else {
            throw .unknownSource(path: path, problem: "is not a PEFT adapter folder (expected a folder holding \(PEFTFolder.configName) and \(PEFTFolder.weightsName))")
        }
        try self.init(folder: folder, base: base, baseArchitecture: baseArchitecture)
    }

    /// Reads `folder`'s config and weights header and matches every adapted module against
    /// `base`. `baseArchitecture` is the base's `model_type`: on a GPT-2-family model PEFT treats
    /// the Conv1D weights (`[in, out]`) as `fan_in_fan_out` whatever the config says, and so does this.
    public init(folder: PEFTFolder, base: some TensorReader, baseArchitecture: String? = nil) throws(InteropError) {
        self.folder = folder
        let config = try folder.config()
        self.config = config
        let method = LowRankMethods.forPEFTConfig { config.flags[$0] ?? false }
        self.method = method
        let weights = try SafetensorsFile(path: folder.weightsPath)
        self.weights = weights
        let factorKeys = try Self.factorKeys(in: weights, method: method)
        let matcher = PEFTTargetMatcher(config: config, configPath: folder.configPath, weightsPath: weights.path, method: method,
                                        targetModules: try PEFTTargetModules(config, path: folder.configPath),
                                        conv1DModel: baseArchitecture.map(PEFTTargetMatcher.conv1DModelTypes.contains) ?? false)
        let baseOrder = Dictionary(base.tensors.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { first, _ in first })
        var targets: [(order: Int, target: LowRankTarget)] = []
        var keys: [String: [String: String]] = [:]
        var notes: [String] = []
        for (module, roles) in factorKeys {
            let (target, note) = try matcher.target(module: module, keys: roles, weights: weights, base: base)
            guard keys[target.tensor] == nil else {
                throw .adapterMismatch(path: weights.path, module: module, problem: "adapts base tensor \"\(target.tensor)\", which another module already adapts")
            }
            keys[target.tensor] = roles
            targets.append((baseOrder[target.tensor] ?? Int.max, target))
            if let note { notes.append(note) }
        }
        guard !targets.isEmpty else {
            throw .missingTensor(path: weights.path, tensor: PEFTKey.prefix + "<module>.lora_A.weight", expected: "at least one adapted module")
        }
        self.keys = keys
        self.notes = Array(Set(notes)).sorted()
        manifest = LowRankManifest(method: method.name, targets: targets.sorted { $0.order < $1.order }.map(\.target),
                                   createdBy: FormatV1.toolVersion, provenance: Self.provenance(folder: folder, config: config))
    }

    /// The values of `role` of the target adapting `tensor`, widened exactly to float64.
    public func factorValues(tensor: String, role: String) throws(InteropError) -> [Double] {
        try weights.float64Values(of: key(tensor: tensor, role: role))
    }

    /// The bytes of `role` of the target adapting `tensor`, exactly as stored (its
    /// `manifest` TensorInfo gives dtype and shape): what an import copies into a v2 adapter.
    public func factorBytes(tensor: String, role: String) throws(InteropError) -> [UInt8] {
        try weights.rawBytes(of: key(tensor: tensor, role: role))
    }

    /// The PEFT key (`base_model.model.….lora_A.weight`) holding `role` of the target adapting `tensor`.
    public func peftKey(tensor: String, role: String) -> String? { keys[tensor]?[role] }

    private func key(tensor: String, role: String) throws(InteropError) -> String {
        guard let key = peftKey(tensor: tensor, role: role) else {
            throw .missingTensor(path: weights.path, tensor: tensor, expected: "a \(role) factor for it in this adapter")
        }
        return key
    }

    /// Every adapted module with the key of each role, in the file's order. Keys are parsed with
    /// every registered method's PEFT suffixes, so a factor of another method (a DoRA magnitude in
    /// a LoRA config) is named and refused rather than reported as unknown.
    private static func factorKeys(in weights: SafetensorsFile, method: any LowRankMethod.Type) throws(InteropError) -> [(String, [String: String])] {
        var suffixes: [(suffix: String, role: String)] = []
        for registered in LowRankMethods.registered {
            for entry in registered.peftKeySuffixes where !suffixes.contains(where: { $0.suffix == entry.suffix }) { suffixes.append(entry) }
        }
        let roles = Set(method.roles)
        var order: [String] = []
        var byModule: [String: [String: String]] = [:]
        for name in weights.tensorNames {
            let (module, role) = try PEFTKey.parse(name, path: weights.path, suffixes: suffixes)
            guard roles.contains(role) else {
                throw .unrepresentable(path: weights.path, what: "tensor \"\(name)\"",
                                       reason: "a \"\(role)\" factor, which method \(method.name) (chosen by adapter_config.json's flags) does not have; fix adapter_config.json")
            }
            if byModule[module] == nil { order.append(module) }
            if let other = byModule[module]?[role] {
                throw .adapterMismatch(path: weights.path, module: module, problem: "has two \(role) factors (\"\(other)\" and \"\(name)\")")
            }
            byModule[module, default: [:]][role] = name
        }
        return order.map { ($0, byModule[$0] ?? [:]) }
    }

    private static func provenance(folder: PEFTFolder, config: PEFTConfig) -> String {
        var extra: [(key: String, value: JSONValue)] = [
            ("source_format", .string("peft")), ("r", .number(Double(config.r))), ("lora_alpha", .number(config.loraAlpha)),
            ("use_rslora", .bool(config.useRSLoRA)), ("fan_in_fan_out", .bool(config.fanInFanOut)), ("target_modules", config.targetModules),
        ]
        for (flag, value) in config.flags.sorted(by: { $0.key < $1.key }) where flag.hasPrefix("use_") && flag != "use_rslora" {
            extra.append((flag, .bool(value)))
        }
        if let name = config.baseModelName { extra.append(("base_model_name_or_path", .string(name))) }
        return StateDictConversion.provenance(source: folder.folder, extra: extra)
    }
}
