/// Reading and writing adapter files (spec/format.md §Adapter). Adapters are small, so they are
/// read whole; every shape is checked against the rank, the norm axis and each other.
public enum AdapterFile {
    /// Metadata of an adapter file plus its dataset summaries, without reading any data (for `inspect`).
    public struct Summary: Sendable {
        /// The adapter with empty factor matrices (shapes are in ``datasets``).
        public var method: AdapterMethod
        /// Nominal rank.
        public var rank: Int
        /// Recorded alpha.
        public var alpha: Double
        /// Applied scaling.
        public var scaling: Double
        /// DoRA's axis.
        public var normAxis: NormAxis?
        /// Adapted layers.
        public var targetLayers: [String]
        /// Fingerprint of the base checkpoint.
        public var baseFingerprint: String
        /// Optional provenance JSON.
        public var provenance: String?
        /// Each layer's datasets (`lora_A`, `lora_B`, and `magnitude` for DoRA).
        public var datasets: [String: [DatasetSummary]]
        /// Per-layer scaling overrides.
        public var layerScaling: [String: Double]
        /// Every root attribute, for display.
        package var rootAttributes: [(name: String, value: HDF5AttributeValue)]

        /// Trainable parameters (from shapes).
        public var parameterCount: Int { datasets.values.joined().reduce(0) { $0 + $1.elementCount } }
    }

    /// Reads the metadata and dataset shapes of `path`, validating them; no data is read.
    public static func summary(of path: String) throws(FormatError) -> Summary {
        let (root, layersGroup) = try FormatError.wrapping { () throws(HDF5Error) in
            let root = try HDF5File.openReadOnly(path).rootGroup()
            return (root, root.contains(FormatV1.layersGroup) ? try root.openGroup(FormatV1.layersGroup) : nil)
        }
        let attributes = V1AttributeReader(holder: root, filePath: path)
        try attributes.requireFormat(FormatV1.adapterFormat)
        guard let method = AdapterMethod(rawValue: try attributes.string("method")) else {
            throw attributes.invalid("method", "must be \"lora\" or \"dora\"")
        }
        let rank = try attributes.integer("rank")
        if let problem = V1Rules.rankProblem(rank) { throw attributes.invalid("rank", problem) }
        let alpha = try attributes.number("alpha")
        let scaling = try attributes.number("scaling")
        guard scaling.isFinite, alpha.isFinite else { throw attributes.invalid("scaling", "must be finite (alpha too)") }
        var normAxis: NormAxis?
        if method == .dora {
            let text = try attributes.string("norm_axis")
            guard let axis = NormAxis(rawValue: text) else { throw attributes.invalid("norm_axis", "is \"\(text)\"; expected \"output\" or \"input\"") }
            normAxis = axis
        }
        let targets = try attributes.layerNameList("target_layers")
        let baseFingerprint = try attributes.string("base_fingerprint")
        guard V1Rules.isFingerprint(baseFingerprint) else {
            throw attributes.invalid("base_fingerprint", "must be 64 lower-case hex digits (the base checkpoint's SHA-256 fingerprint)")
        }
        guard let layersGroup else {
            throw .invalidLayer(path: path, layer: targets[0], problem: "the group /layers is missing")
        }
        var datasets: [String: [DatasetSummary]] = [:]
        var layerScaling: [String: Double] = [:]
        for name in targets {
            let group = try FormatError.wrapping { () throws(HDF5Error) in try layersGroup.openGroup(name) }
            let layerAttributes = V1AttributeReader(holder: group, filePath: path)
            let layerRank = try layerAttributes.optionalInteger("rank") ?? rank
            if let problem = V1Rules.rankProblem(layerRank) { throw layerAttributes.invalid("rank", problem) }
            if let override = try layerAttributes.optionalNumber("scaling") {
                guard override.isFinite else { throw layerAttributes.invalid("scaling", "must be finite") }
                layerScaling[name] = override
            }
            var names = ["lora_A", "lora_B"]
            if method == .dora { names.append("magnitude") }
            let summaries = try FormatError.wrapping { () throws(HDF5Error) in
                try names.map { dataset throws(HDF5Error) in try DatasetSummary(validating: group.openDataset(dataset)) }
            }
            try validateLayer(name, summaries, rank: Int(layerRank), normAxis: normAxis, path: path)
            datasets[name] = summaries
        }
        let rootAttributes = try FormatError.wrapping { () throws(HDF5Error) in
            try root.attributeNames().map { name throws(HDF5Error) in (name, try root.attribute(name) ?? .unsupported("missing")) }
        }
        return Summary(method: method, rank: Int(rank), alpha: alpha, scaling: scaling, normAxis: normAxis, targetLayers: targets,
                       baseFingerprint: baseFingerprint, provenance: try attributes.optionalString("provenance"),
                       datasets: datasets, layerScaling: layerScaling, rootAttributes: rootAttributes)
    }

    private static func validateLayer(_ name: String, _ summaries: [DatasetSummary], rank: Int, normAxis: NormAxis?, path: String) throws(FormatError) {
        for summary in summaries where !["float16", "float32", "float64"].contains(summary.dtype) {
            throw .invalidLayer(path: path, layer: name, problem: "\(summary.path) is \(summary.dtype), expected float32 (float16 and float64 are read too)")
        }
        let a = summaries[0].shape, b = summaries[1].shape
        guard a.count == 2, a[0] == rank else { throw .invalidLayer(path: path, layer: name, problem: "lora_A has shape \(a), expected [\(rank), in] (rank \(rank))") }
        guard b.count == 2, b[1] == rank else { throw .invalidLayer(path: path, layer: name, problem: "lora_B has shape \(b), expected [out, \(rank)] (rank \(rank))") }
        if let normAxis {
            let expected = normAxis == .output ? b[0] : a[1]
            guard summaries[2].shape == [expected] else {
                throw .invalidLayer(path: path, layer: name, problem: "magnitude has shape \(summaries[2].shape), expected [\(expected)] (one per \(normAxis == .output ? "output row" : "input column"), norm_axis \"\(normAxis.rawValue)\")")
            }
        }
    }

    /// Reads and validates a whole adapter.
    public static func read(from path: String) throws(FormatError) -> Adapter {
        let summary = try summary(of: path)
        let layersGroup = try FormatError.wrapping { () throws(HDF5Error) in
            try HDF5File.openReadOnly(path).rootGroup().openGroup(FormatV1.layersGroup)
        }
        var layers: [AdapterLayer] = []
        for name in summary.targetLayers {
            let shapes = summary.datasets[name, default: []].map(\.shape)
            let values = try FormatError.wrapping { () throws(HDF5Error) in
                let group = try layersGroup.openGroup(name)
                return try (summary.method == .dora ? ["lora_A", "lora_B", "magnitude"] : ["lora_A", "lora_B"])
                    .map { dataset throws(HDF5Error) in try group.openDataset(dataset).readFloats() }
            }
            layers.append(AdapterLayer(
                name: name,
                a: Matrix(rows: shapes[0][0], columns: shapes[0][1], values: values[0]),
                b: Matrix(rows: shapes[1][0], columns: shapes[1][1], values: values[1]),
                magnitude: summary.method == .dora ? values[2] : nil,
                scaling: summary.layerScaling[name] ?? summary.scaling))
        }
        return Adapter(method: summary.method, rank: summary.rank, alpha: summary.alpha, scaling: summary.scaling,
                       normAxis: summary.normAxis, baseFingerprint: summary.baseFingerprint, layers: layers,
                       provenance: summary.provenance)
    }
}

extension Adapter {
    /// Reads and validates an adapter file.
    public static func read(from path: String) throws(FormatError) -> Adapter { try AdapterFile.read(from: path) }

    /// Writes the adapter atomically to `path`.
    public func write(to path: String, options: WriteOptions = WriteOptions()) throws(FormatError) {
        try validate(path: path)
        let output = try AtomicOutput(destination: path, overwrite: options.overwrite)
        try output.writing { () throws(HDF5Error) in
            // Uncompressed data takes exactly its float32 bytes: reserve them so a full disk fails early.
            let reserve = options.compressionLevel == nil ? parameterCount * MemoryLayout<Float>.size : 0
            let file = try HDF5File.create(output.temporaryPath, reservingBytes: reserve)
            let root = try file.rootGroup()
            try root.setAttribute("format", .string(FormatV1.adapterFormat))
            try root.setAttribute("format_version", .integer(FormatV1.version))
            try root.setAttribute("method", .string(method.rawValue))
            try root.setAttribute("rank", .integer(Int64(rank)))
            try root.setAttribute("alpha", .double(alpha))
            try root.setAttribute("scaling", .double(scaling))
            if let normAxis { try root.setAttribute("norm_axis", .string(normAxis.rawValue)) }
            try root.setAttribute("target_layers", .strings(targetLayers))
            try root.setAttribute("base_fingerprint", .string(baseFingerprint))
            try root.setAttribute("created_by", .string(createdBy ?? FormatV1.toolVersion))
            if let provenance { try root.setAttribute("provenance", .string(provenance)) }
            let layersGroup = try root.createGroup(FormatV1.layersGroup)
            for layer in layers {
                let group = try layersGroup.createGroup(layer.name)
                if layer.rank != rank { try group.setAttribute("rank", .integer(Int64(layer.rank))) }
                if layer.scaling != scaling { try group.setAttribute("scaling", .double(layer.scaling)) }
                var tensors: [(String, [Int], [Float])] = [("lora_A", layer.a.shape, layer.a.values), ("lora_B", layer.b.shape, layer.b.values)]
                if let magnitude = layer.magnitude { tensors.append(("magnitude", [magnitude.count], magnitude)) }
                for (name, shape, values) in tensors {
                    let dataset = try group.createDataset(name, shape: shape, compressionLevel: options.compressionLevel)
                    try values.withUnsafeBufferPointer { buffer throws(HDF5Error) in try dataset.write(buffer) }
                }
            }
            try file.close()
        }
        try output.commit()
    }

    /// Checks the in-memory adapter against the rules the reader applies (``V1Rules``), before writing.
    private func validate(path: String) throws(FormatError) {
        func invalid(_ name: String, _ problem: String, layer: String? = nil) -> FormatError {
            .invalidAttribute(path: path, object: layer.map { "/\(FormatV1.layersGroup)/\($0)" } ?? "the root group", name: name, problem: problem)
        }
        if let problem = V1Rules.layerNamesProblem(targetLayers) { throw invalid("target_layers", problem) }
        guard V1Rules.isFingerprint(baseFingerprint) else {
            throw invalid("base_fingerprint", "must be 64 lower-case hex digits (the base checkpoint's SHA-256 fingerprint)")
        }
        if let problem = V1Rules.rankProblem(Int64(rank)) { throw invalid("rank", problem) }
        guard scaling.isFinite, alpha.isFinite else { throw invalid("scaling", "must be finite (alpha too)") }
        for layer in layers {
            if let problem = V1Rules.rankProblem(Int64(layer.rank)) { throw invalid("rank", problem, layer: layer.name) }
            guard layer.scaling.isFinite else { throw invalid("scaling", "must be finite", layer: layer.name) }
        }
        guard (method == .dora) == (normAxis != nil) else {
            throw .invalidAttribute(path: path, object: "the root group", name: "norm_axis", problem: "is required for DoRA and not allowed for LoRA")
        }
        for layer in layers {
            guard layer.b.columns == layer.a.rows else {
                throw .invalidLayer(path: path, layer: layer.name, problem: "lora_B \(layer.b.shape) and lora_A \(layer.a.shape) disagree on the rank")
            }
            guard (method == .dora) == (layer.magnitude != nil) else {
                throw .invalidLayer(path: path, layer: layer.name, problem: method == .dora ? "a DoRA layer needs a magnitude vector" : "a LoRA layer has no magnitude vector")
            }
            if let magnitude = layer.magnitude, let normAxis {
                let expected = normAxis == .output ? layer.b.rows : layer.a.columns
                guard magnitude.count == expected else {
                    throw .invalidLayer(path: path, layer: layer.name, problem: "magnitude has \(magnitude.count) entries, expected \(expected) for norm_axis \"\(normAxis.rawValue)\"")
                }
            }
        }
    }
}
