/// What `adaptool inspect` found in a file: plain values, printed as a table or encoded as JSON.
public struct FileInspection: Codable, Equatable, Sendable {
    /// What a file is.
    public enum Kind: String, Codable, Sendable {
        /// An `adaptool.checkpoint` file.
        case checkpoint
        /// An `adaptool.adapter` file.
        case adapter
        /// An HDF5 file of some other kind, listed like `h5ls -r`.
        case foreign
    }

    /// The inspected path.
    public var path: String
    /// Checkpoint, adapter or foreign.
    public var kind: Kind
    /// `format_version` of adaptool files.
    public var formatVersion: Int?
    /// One row per dataset of a checkpoint or adapter, in layer order.
    public var datasets: [DatasetRow]
    /// The root group's attributes by name.
    public var attributes: [String: AttributeValue]
    /// Checkpoint facts, for checkpoints.
    public var checkpoint: CheckpointFacts?
    /// Adapter facts, for adapters.
    public var adapter: AdapterFacts?
    /// The file's tree, for foreign files.
    public var tree: [TreeEntry]?
    /// Whether the tree listing stopped at ``HDF5Tree/maxEntries``.
    public var treeIsTruncated: Bool?
    /// The checks `--verify` ran; nil when it was not asked for.
    public var verification: [VerificationCheck]?

    /// Whether every verification check passed (true when none ran).
    public var isVerified: Bool { verification?.allSatisfy(\.passed) ?? true }
}

/// One dataset: its layer, shape, type and storage.
public struct DatasetRow: Codable, Equatable, Sendable {
    /// The layer it belongs to (for foreign files: the parent group's path).
    public var layer: String
    /// The dataset's own name: `weight`, `bias`, `lora_A`, `lora_B`, `magnitude`, …
    public var name: String
    /// Dimensions.
    public var shape: [Int]
    /// Stored element type (`float32`, `float16`, `int32`, …).
    public var dtype: String
    /// Element count.
    public var parameters: Int
    /// Bytes occupied in the file (after compression).
    public var storedBytes: Int
    /// `contiguous`, `chunked` or `compact`.
    public var layout: String
    /// The filter pipeline (e.g. `shuffle+deflate(4)`), nil when uncompressed.
    public var compression: String?

    /// A row from a dataset summary.
    init(layer: String, _ summary: DatasetSummary) {
        self.layer = layer
        name = String(summary.path.split(separator: "/").last ?? "")
        shape = summary.shape
        dtype = summary.dtype
        parameters = summary.elementCount
        storedBytes = summary.storedBytes
        layout = summary.layout
        compression = summary.compression
    }
}

/// Facts about a checkpoint beyond its datasets.
public struct CheckpointFacts: Codable, Equatable, Sendable {
    /// Layer names in forward order.
    public var layerNames: [String]
    /// `[out, in]` per layer, in order.
    public var layerShapes: [[Int]]
    /// The fingerprint the file stores.
    public var fingerprint: String
    /// Weights plus biases.
    public var parameters: Int
}

/// Facts about an adapter beyond its datasets.
public struct AdapterFacts: Codable, Equatable, Sendable {
    /// `lora` or `dora`.
    public var method: AdapterMethod
    /// Nominal rank.
    public var rank: Int
    /// Recorded alpha.
    public var alpha: Double
    /// Applied scaling (ΔW = scaling · B · A).
    public var scaling: Double
    /// DoRA's norm axis.
    public var normAxis: NormAxis?
    /// Adapted layers.
    public var targetLayers: [String]
    /// Per-layer rank and scaling where a layer overrides the root's.
    public var layerOverrides: [String: LayerOverride]
    /// The base checkpoint's fingerprint recorded in the adapter.
    public var baseFingerprint: String
    /// A, B and magnitudes over all layers.
    public var trainableParameters: Int
    /// Parameters of the base, when `--base` was given.
    public var baseParameters: Int?
    /// `trainableParameters / baseParameters`, when the base is known.
    public var shareOfBase: Double?
    /// Whether the given base's fingerprint equals ``baseFingerprint``, when the base is known.
    public var baseFingerprintMatches: Bool?
}

/// A layer's own rank or scaling (spec/format.md §3.3).
public struct LayerOverride: Codable, Equatable, Sendable {
    /// The layer's rank (rows of A).
    public var rank: Int
    /// The layer's scaling.
    public var scaling: Double
}

/// One entry of a foreign file's tree.
public struct TreeEntry: Codable, Equatable, Sendable {
    /// Absolute path in the file.
    public var path: String
    /// `group`, `dataset`, `named datatype`, `soft link`, `external link`, `repeated group` or `other`.
    public var kind: String
    /// Where a soft or external link points (`file:/path` for external links); never followed.
    public var target: String?
    /// The dataset's description, for datasets.
    public var dataset: DatasetRow?
}

/// One `--verify` check and its outcome.
public struct VerificationCheck: Codable, Equatable, Sendable {
    /// What was checked, e.g. `fingerprint`.
    public var name: String
    /// Whether it passed.
    public var passed: Bool
    /// What was found.
    public var detail: String
}

/// An attribute value as JSON shows it: a string, a number, or an array of them.
public enum AttributeValue: Codable, Equatable, Sendable, CustomStringConvertible {
    /// A string.
    case string(String)
    /// An array of strings.
    case strings([String])
    /// An integer.
    case integer(Int64)
    /// An array of integers.
    case integers([Int64])
    /// A floating-point number.
    case number(Double)
    /// An array of floating-point numbers.
    case numbers([Double])
    /// A value adaptool does not interpret (its HDF5 kind).
    case unsupported(String)

    /// The display form of a value read from a file.
    package init(_ value: HDF5AttributeValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .strings(let texts): self = .strings(texts)
        case .integer(let number): self = .integer(number)
        case .integers(let numbers): self = .integers(numbers)
        case .double(let number): self = .number(number)
        case .doubles(let numbers): self = .numbers(numbers)
        case .unsupported(let kind): self = .unsupported(kind)
        }
    }

    /// Decodes the JSON form (a string, a number, or an array of either).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Int64.self) { self = .integer(number) }
        else if let number = try? container.decode(Double.self) { self = .number(number) }
        else if let text = try? container.decode(String.self) { self = .string(text) }
        else if let numbers = try? container.decode([Int64].self) { self = .integers(numbers) }
        else if let numbers = try? container.decode([Double].self) { self = .numbers(numbers) }
        else { self = .strings(try container.decode([String].self)) }
    }

    /// Encodes as a plain JSON string, number or array.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let text): try container.encode(text)
        case .strings(let texts): try container.encode(texts)
        case .integer(let number): try container.encode(number)
        case .integers(let numbers): try container.encode(numbers)
        case .number(let number): try container.encode(number)
        case .numbers(let numbers): try container.encode(numbers)
        case .unsupported(let kind): try container.encode("<\(kind)>")
        }
    }

    /// The value as one line of text: `relu`, `[3, 32, 32]`, `["cat", "dog"]`.
    public var description: String {
        switch self {
        case .string(let text): return text
        case .strings(let texts): return "[" + texts.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
        case .integer(let number): return String(number)
        case .integers(let numbers): return "[" + numbers.map(String.init).joined(separator: ", ") + "]"
        case .number(let number): return String(number)
        case .numbers(let numbers): return "[" + numbers.map { String($0) }.joined(separator: ", ") + "]"
        case .unsupported(let kind): return "<\(kind)>"
        }
    }
}
