import AdapterCore

/// PEFT LoRA/DoRA adapter → adaptool adapter (spec/interop.md §PEFT).
public enum PEFTImport {
    /// Metadata keys adaptool's export adds to adapter_model.safetensors so a round trip needs no `--base`.
    public enum MetadataKey {
        /// The base checkpoint's fingerprint.
        public static let baseFingerprint = "adaptool.base_fingerprint"
        /// JSON array of the adapted layers in adaptool's order.
        public static let targetLayers = "adaptool.target_layers"
    }

    /// The imported adapter and anything the user should be told.
    public struct Result: Sendable {
        /// The adapter.
        public var adapter: Adapter
        /// Warnings and notes (one line each).
        public var notes: [String]
    }

    /// Reads `folder` into an adapter. With `base`, every layer is checked against the base's
    /// shapes and its fingerprint is recorded; without, the fingerprint adaptool's own export
    /// stored in the weights' metadata is used, and a folder lacking it is refused.
    public static func adapter(from folder: PEFTFolder, base: BaseReference?) throws(InteropError) -> Result {
        let config = try folder.config()
        let file = try SafetensorsFile(path: folder.weightsPath)
        let path = file.path
        var parts: [String: (a: SafetensorsTensorInfo?, b: SafetensorsTensorInfo?, magnitude: SafetensorsTensorInfo?)] = [:]
        for info in file.header.tensors {
            let (module, role) = try PEFTKey.parse(info.name, path: path)
            var entry = parts[module] ?? (nil, nil, nil)
            switch role {
            case .a: entry.a = info
            case .b: entry.b = info
            case .magnitude:
                guard entry.magnitude == nil else { throw .malformedSafetensors(path: path, problem: "module \"\(module)\" has two magnitude vectors") }
                entry.magnitude = info
            }
            parts[module] = entry
        }
        guard !parts.isEmpty else { throw .missingTensor(path: path, tensor: PEFTKey.prefix + "<module>.lora_A.weight", expected: "at least one adapted module") }

        var notes: [String] = []
        let fingerprint = try baseFingerprint(file: file, base: base, notes: &notes)
        let order = try moduleOrder(Array(parts.keys), file: file, base: base)
        var layers: [AdapterLayer] = []
        let baseShapes = Dictionary((base?.shapes ?? []).map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for module in order {
            guard let entry = parts[module] else { continue }
            let key = PEFTKey.prefix + module
            guard let aInfo = entry.a else { throw .missingTensor(path: path, tensor: key + ".lora_A.weight", expected: "lora_A beside \(key).lora_B.weight") }
            guard let bInfo = entry.b else { throw .missingTensor(path: path, tensor: key + ".lora_B.weight", expected: "lora_B beside \(key).lora_A.weight") }
            let rank = try config.rank(for: module, path: folder.configPath)
            if aInfo.shape.count == 4 {
                throw .unrepresentable(path: path, what: "tensor \"\(aInfo.name)\" \(aInfo.shape) (a convolution adapter)", reason: "adaptool adapts linear layers only")
            }
            guard aInfo.shape.count == 2, aInfo.shape[0] == rank else {
                throw .badShape(path: path, tensor: aInfo.name, shape: aInfo.shape, expected: "[\(rank), in] (rank \(rank) from adapter_config.json r/rank_pattern)")
            }
            guard bInfo.shape.count == 2, bInfo.shape[1] == rank else {
                throw .badShape(path: path, tensor: bInfo.name, shape: bInfo.shape, expected: "[out, \(rank)] (rank \(rank) from adapter_config.json r/rank_pattern)")
            }
            let out = bInfo.shape[0], inputs = aInfo.shape[1]
            if let base {
                guard let shape = baseShapes[module] else {
                    throw .unrepresentable(path: path, what: "module \"\(module)\"", reason: "the base has no such layer (layers: \(base.shapes.map(\.name).joined(separator: ", ")))")
                }
                guard shape.out == out, shape.in == inputs else {
                    throw .badShape(path: path, tensor: key + ".lora_B·lora_A", shape: [out, inputs],
                                    expected: "[\(shape.out), \(shape.in)], the base layer's [out, in]\(config.fanInFanOut ? " (fan_in_fan_out does not transpose the factors)" : "")")
                }
            }
            var magnitude: [Float]?
            if config.useDoRA {
                guard let info = entry.magnitude else { throw .missingTensor(path: path, tensor: key + ".lora_magnitude_vector", expected: "one per module since use_dora is true") }
                guard info.shape == [out] else { throw .badShape(path: path, tensor: info.name, shape: info.shape, expected: "[\(out)] (one magnitude per output row)") }
                magnitude = try file.finiteFloats(info)
            } else if let info = entry.magnitude {
                throw .unrepresentable(path: path, what: "tensor \"\(info.name)\"", reason: "a DoRA magnitude in an adapter whose config says use_dora false; fix adapter_config.json")
            }
            layers.append(AdapterLayer(name: module, a: Matrix(rows: rank, columns: inputs, values: try file.finiteFloats(aInfo)),
                                       b: Matrix(rows: out, columns: rank, values: try file.finiteFloats(bInfo)),
                                       magnitude: magnitude, scaling: try config.scaling(for: module, path: folder.configPath)))
        }
        let rootScaling = config.loraAlpha / (config.useRSLoRA ? Double(config.r).squareRoot() : Double(config.r))
        var extra: [(key: String, value: JSONValue)] = [
            ("source_format", .string("peft")), ("r", .number(Double(config.r))), ("lora_alpha", .number(config.loraAlpha)),
            ("use_rslora", .bool(config.useRSLoRA)), ("use_dora", .bool(config.useDoRA)), ("fan_in_fan_out", .bool(config.fanInFanOut)),
        ]
        if let name = config.baseModelName { extra.append(("base_model_name_or_path", .string(name))) }
        let adapter = Adapter(method: config.useDoRA ? .dora : .lora, rank: config.r, alpha: config.loraAlpha, scaling: rootScaling,
                              normAxis: config.useDoRA ? .output : nil, baseFingerprint: fingerprint, layers: layers,
                              provenance: StateDictConversion.provenance(source: folder.folder, extra: extra))
        return Result(adapter: adapter, notes: notes)
    }

    private static func baseFingerprint(file: SafetensorsFile, base: BaseReference?, notes: inout [String]) throws(InteropError) -> String {
        let stored = file.metadata[MetadataKey.baseFingerprint]
        if let base {
            if let stored, stored != base.fingerprint {
                notes.append("note: \(file.path) was exported from an adapter for base \(stored.prefix(12))…; recording --base's fingerprint \(base.fingerprint.prefix(12))… instead")
            }
            return base.fingerprint
        }
        guard let stored, stored.count == 64, stored.allSatisfy({ $0.isHexDigit && !$0.isUppercase }) else {
            throw .missingBase(path: file.path)
        }
        notes.append("note: no --base given; recorded base_fingerprint \(stored.prefix(12))… from adaptool's metadata in \(file.path) (shapes not checked against a base)")
        return stored
    }

    private static func moduleOrder(_ modules: [String], file: SafetensorsFile, base: BaseReference?) throws(InteropError) -> [String] {
        if let base {
            let adapted = Set(modules)
            let known = base.shapes.map(\.name).filter(adapted.contains)
            let knownSet = Set(known)
            let unknown = modules.filter { !knownSet.contains($0) }.sorted()
            return known + unknown // unknown ones are refused with the base's layer list when checked
        }
        if let listed = file.metadata[MetadataKey.targetLayers], case .array(let items)? = try? JSONValue.parse(Array(listed.utf8)) {
            var names: [String] = []
            for case .string(let name) in items { names.append(name) }
            if names.sorted() == modules.sorted() { return names }
        }
        let (sorted, unorderable) = LayerOrder.sorted(modules)
        return unorderable == nil ? sorted : modules.sorted()
    }
}
