import AdapterCore

/// How a PyTorch state dict of linear layers maps onto an adaptool checkpoint
/// (spec/interop.md §State dicts): `<name>.weight` `[out, in]` and `<name>.bias` `[out]` become
/// layer `<name>`; layers are ordered by the numbers in their names, or by the
/// `adaptool.layer_names` metadata adaptool writes on export.
public struct StateDictLayout: Sendable {
    /// One layer: its name and the tensors holding it (a missing bias means zeros, as `bias=False`).
    public struct Entry: Sendable {
        /// The layer name (the key prefix, kept as it is).
        public var name: String
        /// `<name>.weight`.
        public var weight: SafetensorsTensorInfo
        /// `<name>.bias`, if stored.
        public var bias: SafetensorsTensorInfo?
        /// Output features.
        public var out: Int { weight.shape[0] }
        /// Input features.
        public var `in`: Int { weight.shape[1] }
    }

    /// Metadata keys adaptool writes so a round trip keeps the layer order and descriptive attributes.
    public enum MetadataKey {
        /// JSON array of layer names in forward order.
        public static let layerNames = "adaptool.layer_names"
        /// The checkpoint's fingerprint at export (informational).
        public static let fingerprint = "adaptool.fingerprint"
        /// JSON object of the optional checkpoint attributes (input_shape, normalization, class names).
        public static let attributes = "adaptool.attributes"
    }

    /// The layers in forward order.
    public var layers: [Entry]
    /// Descriptive attributes restored from adaptool metadata (defaults otherwise).
    public var metadata: CheckpointMetadata

    /// Reads the layout of `file`, refusing tensors that are not a linear layer's weight or bias,
    /// unordered names, wrong ranks and shapes that do not chain.
    public init(of file: SafetensorsFile) throws(InteropError) {
        let path = file.path
        var weights: [String: SafetensorsTensorInfo] = [:]
        var biases: [String: SafetensorsTensorInfo] = [:]
        for info in file.header.tensors {
            if info.name.hasSuffix(".weight") {
                guard info.shape.count == 2 else { throw .badShape(path: path, tensor: info.name, shape: info.shape, expected: "[out, in] (a linear layer's weight)") }
                weights[String(info.name.dropLast(".weight".count))] = info
            } else if info.name.hasSuffix(".bias") {
                guard info.shape.count == 1 else { throw .badShape(path: path, tensor: info.name, shape: info.shape, expected: "[out] (a linear layer's bias)") }
                biases[String(info.name.dropLast(".bias".count))] = info
            } else {
                throw .unrepresentable(path: path, what: "tensor \"\(info.name)\"", reason: "an MLP state dict holds only <layer>.weight [out, in] and <layer>.bias [out]")
            }
        }
        if let orphan = biases.keys.sorted().first(where: { weights[$0] == nil }) {
            throw .missingTensor(path: path, tensor: orphan + ".weight", expected: "a weight [out, in] for the bias \"\(orphan).bias\"")
        }
        guard !weights.isEmpty else { throw .missingTensor(path: path, tensor: "<layer>.weight", expected: "at least one linear layer") }
        let names = try Self.order(Array(weights.keys), metadata: file.metadata, path: path)
        var layers: [Entry] = []
        for name in names {
            guard let weight = weights[name] else { continue }
            let entry = Entry(name: name, weight: weight, bias: biases[name])
            if let bias = entry.bias, bias.shape != [entry.out] {
                throw .badShape(path: path, tensor: bias.name, shape: bias.shape, expected: "[\(entry.out)] to match \(entry.weight.name) \(entry.weight.shape)")
            }
            if let previous = layers.last, previous.out != entry.in {
                throw .badShape(path: path, tensor: entry.weight.name, shape: entry.weight.shape,
                                expected: "[out, \(previous.out)]: layer \"\(previous.name)\" gives \(previous.out) outputs (layers in order: \(names.joined(separator: ", ")))")
            }
            layers.append(entry)
        }
        self.layers = layers
        self.metadata = try Self.restoredMetadata(file.metadata, layers: layers, path: path)
    }

    private static func order(_ names: [String], metadata: [String: String], path: String) throws(InteropError) -> [String] {
        if let listed = metadata[MetadataKey.layerNames] {
            var strings: [String] = []
            if case .array(let items)? = try? JSONValue.parse(Array(listed.utf8)) {
                for case .string(let name) in items { strings.append(name) }
                if strings.count != items.count { strings = [] }
            }
            guard strings.sorted() == names.sorted() else {
                throw .badConfig(path: path, field: "__metadata__.\(MetadataKey.layerNames)", problem: "must be a JSON array naming every layer once (layers: \(names.sorted().joined(separator: ", ")))")
            }
            return strings
        }
        let (sorted, unorderable) = LayerOrder.sorted(names)
        if let unorderable {
            throw .unrepresentable(path: path, what: "the layer order", reason: "\"\(unorderable)\" has no numeric index distinct from the others; expected names like layers.0, layers.2, layers.4")
        }
        return sorted
    }

    /// The attributes recorded in ``MetadataKey/attributes``, each checked by the same code that
    /// checks a checkpoint when it is read, so import never writes a file adaptool then refuses.
    private static func restoredMetadata(_ stored: [String: String], layers: [Entry], path: String) throws(InteropError) -> CheckpointMetadata {
        var metadata = CheckpointMetadata()
        guard let text = stored[MetadataKey.attributes] else { return metadata }
        func bad(_ key: String, _ problem: String) -> InteropError {
            .badConfig(path: path, field: "__metadata__.\(MetadataKey.attributes)" + (key.isEmpty ? "" : ".\(key)"), problem: problem)
        }
        guard let document = try? JSONValue.parse(Array(text.utf8)), case .object = document else { throw bad("", "is not a JSON object") }
        func items(_ key: String) throws(InteropError) -> [JSONValue]? {
            switch document[key] ?? .null {
            case .null: return nil
            case .array(let items): return items
            case let other: throw bad(key, "is \(other.typeName); expected an array")
            }
        }
        func numbers(_ key: String) throws(InteropError) -> [Double]? {
            guard let items = try items(key) else { return nil }
            var values: [Double] = []
            for item in items {
                guard case .number(let value) = item else { throw bad(key, "holds \(item.serialized); expected numbers only") }
                values.append(value)
            }
            return values
        }
        if let items = try items("input_shape") {
            var shape: [Int] = []
            for item in items {
                guard let dimension = item.exactInteger else { throw bad("input_shape", "holds \(item.serialized); expected whole numbers no larger than 2^53") }
                shape.append(dimension)
            }
            metadata.inputShape = shape
        }
        metadata.normalizationMean = try numbers("normalization_mean")
        metadata.normalizationStd = try numbers("normalization_std")
        if let items = try items("class_names") {
            var names: [String] = []
            for item in items {
                guard case .string(let name) = item else { throw bad("class_names", "holds \(item.serialized); expected strings only") }
                names.append(name)
            }
            metadata.classNames = names
        }
        do throws(FormatError) {
            try metadata.validate(inputs: layers.first?.in, outputs: layers.last?.out, path: path)
        } catch .invalidAttribute(_, _, let name, let problem) {
            throw bad(name, problem)
        } catch {
            throw .format(error)
        }
        return metadata
    }

    /// The JSON for ``MetadataKey/attributes`` describing `metadata`'s optional attributes.
    static func attributesJSON(_ metadata: CheckpointMetadata) -> String {
        var members: [(key: String, value: JSONValue)] = []
        if let shape = metadata.inputShape { members.append(("input_shape", .array(shape.map { .number(Double($0)) }))) }
        if let mean = metadata.normalizationMean { members.append(("normalization_mean", .array(mean.map { .number($0) }))) }
        if let std = metadata.normalizationStd { members.append(("normalization_std", .array(std.map { .number($0) }))) }
        if let names = metadata.classNames { members.append(("class_names", .array(names.map { .string($0) }))) }
        return JSONValue.object(members).serialized
    }
}
