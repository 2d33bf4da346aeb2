import AdapterCore
import Foundation

/// adaptool adapter → PEFT LoRA/DoRA folder that PEFT's `PeftModel.from_pretrained` loads
/// (spec/interop.md §PEFT export).
public enum PEFTExport {
    /// One adapted module as `adapter_config.json` describes it.
    public struct ModuleSetting: Sendable, Equatable {
        /// The module name (a tensor name without `.weight`).
        public var module: String
        /// Its rank.
        public var rank: Int
        /// The scaling it applies.
        public var scaling: Double

        /// Creates a setting.
        public init(module: String, rank: Int, scaling: Double) { (self.module, self.rank, self.scaling) = (module, rank, scaling) }
    }

    /// The `adapter_config.json` document for `adapter`. A DoRA adapter normalising input columns
    /// has no PEFT form and is refused.
    public static func config(for adapter: Adapter, path: String) throws(InteropError) -> JSONValue {
        if adapter.method == .dora, adapter.normAxis == .input {
            throw .notExpressibleInPEFT(path: path, what: "a DoRA adapter with norm_axis \"input\"",
                                        reason: "PEFT's DoRA normalises each output row of W [out, in] and has no per-input-column variant")
        }
        let modules = adapter.layers.map { ModuleSetting(module: $0.name, rank: $0.rank, scaling: $0.scaling) }
        return try config(modules: modules, rank: adapter.rank, alpha: adapter.alpha, scaling: adapter.scaling,
                          flags: ["use_dora": adapter.method == .dora], fanInFanOut: false, path: path)
    }

    /// The `adapter_config.json` document for adapted `modules`: `r` and `lora_alpha` chosen so
    /// PEFT's scaling equals ours for every module (from the nominal `rank`, `scaling` and, when it
    /// reproduces them exactly, the recorded `alpha`), with `rank_pattern` / `alpha_pattern` for
    /// modules whose rank or scaling differ; `flags` are method switches such as `use_dora`.
    /// `path` (the adapter's file) is named in errors; every number is checked finite, since JSON
    /// has no NaN or infinity (an alpha of scaling · r overflows for a huge scaling) and Python's
    /// `json` refuses `inf`.
    public static func config(modules: [ModuleSetting], rank nominalRank: Int, alpha recordedAlpha: Double?, scaling nominalScaling: Double,
                              flags: [String: Bool], fanInFanOut: Bool, path: String) throws(InteropError) -> JSONValue {
        func number(_ value: Double, _ field: String, scaling: Double, rank: Int) throws(InteropError) -> JSONValue {
            guard value.isFinite else {
                throw .badConfig(path: path, field: field, problem: "would be \(value) (scaling \(scaling) × rank \(rank)), which adapter_config.json cannot hold: JSON numbers are finite and PEFT computes scaling = alpha / r")
            }
            return .number(value)
        }
        /// Pattern keys are regular expressions (``PEFTConfig/patternValue(_:field:for:path:expressions:)``): a module
        /// name is written with its ASCII punctuation escaped (`layers\.2`, `fc\(1\)`), which Python's
        /// `re` and adaptool's matcher both read as the literal name, so `.` matches only a dot and a
        /// name like `fc(1` is not an invalid expression.
        func patternKey(_ name: String) -> String {
            var key = ""
            for character in name {
                if character.isASCII, character.isPunctuation || character.isSymbol, character != "_" { key.append("\\") }
                key.append(character)
            }
            return key
        }
        let rank = Double(nominalRank), alpha = recordedAlpha ?? nominalScaling * rank
        // Keep the recorded alpha when it reproduces the scaling exactly (as it does for anything
        // imported from PEFT); otherwise derive alpha from the scaling.
        let useRSLoRA = alpha / rank != nominalScaling && alpha / rank.squareRoot() == nominalScaling
        let loraAlpha = alpha / divisor(nominalRank, rsLoRA: useRSLoRA) == nominalScaling
            ? alpha : self.alpha(for: nominalScaling, rank: nominalRank, rsLoRA: useRSLoRA)
        let loraAlphaValue = try number(loraAlpha, "lora_alpha", scaling: nominalScaling, rank: nominalRank)
        var rankPattern: [(key: String, value: JSONValue)] = []
        var alphaPattern: [(key: String, value: JSONValue)] = []
        for setting in modules {
            if setting.rank != nominalRank { rankPattern.append((patternKey(setting.module), .number(Double(setting.rank)))) }
            if loraAlpha / divisor(setting.rank, rsLoRA: useRSLoRA) != setting.scaling {
                let key = patternKey(setting.module)
                alphaPattern.append((key, try number(self.alpha(for: setting.scaling, rank: setting.rank, rsLoRA: useRSLoRA), "alpha_pattern[\"\(key)\"]",
                                                 scaling: setting.scaling, rank: setting.rank)))
            }
        }
        var members: [(key: String, value: JSONValue)] = [
            ("alpha_pattern", .object(alphaPattern)),
            ("base_model_name_or_path", .null),
            ("bias", .string("none")),
            ("fan_in_fan_out", .bool(fanInFanOut)),
            ("inference_mode", .bool(true)),
            ("init_lora_weights", .bool(true)),
            ("layers_pattern", .null),
            ("layers_to_transform", .null),
            ("lora_alpha", loraAlphaValue),
            ("lora_dropout", .number(0)),
            ("modules_to_save", .null),
            ("peft_type", .string("LORA")),
            ("r", .number(rank)),
            ("rank_pattern", .object(rankPattern)),
            ("revision", .null),
            ("target_modules", .array(modules.map { .string($0.module) })),
            ("task_type", .null),
            ("use_rslora", .bool(useRSLoRA)),
        ]
        members += flags.sorted { $0.key < $1.key }.map { ($0.key, JSONValue.bool($0.value)) }
        return .object(members.sorted { $0.key < $1.key })
    }

    private static func divisor(_ rank: Int, rsLoRA: Bool) -> Double { rsLoRA ? Double(rank).squareRoot() : Double(rank) }

    /// An alpha with alpha / divisor == scaling, preferring a short decimal (2e-9 precision) when
    /// it is exact, so configs read `16` rather than `15.999999999999998`.
    private static func alpha(for scaling: Double, rank: Int, rsLoRA: Bool) -> Double {
        let raw = scaling * divisor(rank, rsLoRA: rsLoRA)
        let rounded = (raw * 1e9).rounded() / 1e9
        return rounded / divisor(rank, rsLoRA: rsLoRA) == scaling ? rounded : raw
    }

    /// Writes `adapter` as a PEFT folder at `path` (created atomically: a temporary folder renamed
    /// into place); a setting PEFT cannot represent is an error naming `source` (default: `path`).
    public static func write(_ adapter: Adapter, to path: String, source: String? = nil, dtype: SafetensorsDType = .f32,
                             options: WriteOptions = WriteOptions()) throws(InteropError) {
        let config = try config(for: adapter, path: source ?? path)
        let output = try InteropError.wrapping { () throws(FormatError) in try AtomicOutput(destination: path, overwrite: options.overwrite) }
        do {
            try FileManager.default.createDirectory(atPath: output.temporaryPath, withIntermediateDirectories: false)
            try Data(config.prettyPrinted.utf8).write(to: URL(fileURLWithPath: output.temporaryPath + "/" + PEFTFolder.configName))
        } catch {
            throw .format(.io(path: path, problem: "cannot write \(PEFTFolder.configName): \(error.localizedDescription)"))
        }
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        for layer in adapter.layers {
            let key = PEFTKey.prefix + layer.name
            tensors.append((key + ".lora_A.weight", layer.a.shape, layer.a.values))
            tensors.append((key + ".lora_B.weight", layer.b.shape, layer.b.values))
            if let magnitude = layer.magnitude { tensors.append((key + ".lora_magnitude_vector", [magnitude.count], magnitude)) }
        }
        let metadata = [
            "format": "pt",
            PEFTImport.MetadataKey.baseFingerprint: adapter.baseFingerprint,
            PEFTImport.MetadataKey.targetLayers: JSONValue.array(adapter.targetLayers.map { .string($0) }).serialized,
        ]
        do {
            try SafetensorsWriter.write(tensors, metadata: metadata, dtype: dtype, to: output.temporaryPath + "/" + PEFTFolder.weightsName)
        } catch {
            // The message names the file inside the hidden temporary folder; name the output instead.
            throw .format(.io(path: path, problem: output.withinDestination(String(describing: error))))
        }
        try InteropError.wrapping { () throws(FormatError) in try output.commit() }
    }
}
