import Foundation

/// `Fixtures/expected.json`, written by `Fixtures/generate.py` (the independent h5py implementation).
public struct FixtureExpectations: Decodable, Sendable {
    /// A file the library must read, with the values it must find.
    public struct Valid: Decodable, Sendable {
        /// `checkpoint`, `adapter` or `foreign`.
        public var kind: String
        /// Layer names in forward order.
        public var layerNames: [String]?
        /// Layer → `weight`/`bias` → shape.
        public var shapes: [String: [String: [Int]]]?
        /// Stored element type of the weights.
        public var dtype: String?
        /// Filter pipeline as the library describes it, nil when uncompressed.
        public var compression: String?
        /// The fingerprint Python computed from the spec's recipe.
        public var fingerprint: String?
        /// Optional `input_shape`.
        public var inputShape: [Int]?
        /// Optional `normalization_mean`.
        public var normalizationMean: [Double]?
        /// Optional `normalization_std`.
        public var normalizationStd: [Double]?
        /// Optional `class_names`.
        public var classNames: [String]?
        /// Total parameters (checkpoint) or trainable parameters (adapter).
        public var parameters: Int?
        /// Layer → `weight`/`bias` → values (row-major, already rounded to float32).
        public var values: [String: [String: [Double]]]?
        /// `lora` or `dora`.
        public var method: String?
        /// Root rank.
        public var rank: Int?
        /// Recorded alpha.
        public var alpha: Double?
        /// Root scaling.
        public var scaling: Double?
        /// DoRA norm axis.
        public var normAxis: String?
        /// Adapted layers.
        public var targetLayers: [String]?
        /// Recorded base fingerprint.
        public var baseFingerprint: String?
        /// Per-layer expectations.
        public var layers: [String: AdapterLayer]?
        /// Foreign files: path → kind.
        public var tree: [String: String]?
    }

    /// One adapter layer's expected shapes and values.
    public struct AdapterLayer: Decodable, Sendable {
        /// The layer's effective scaling.
        public var scaling: Double
        /// Shape of A.
        public var loraAShape: [Int]
        /// Shape of B.
        public var loraBShape: [Int]
        /// Shape of the magnitudes (DoRA).
        public var magnitudeShape: [Int]?
        /// A, row-major.
        public var loraA: [Double]
        /// B, row-major.
        public var loraB: [Double]
        /// Magnitudes (DoRA).
        public var magnitude: [Double]?
    }

    /// A file the library must refuse (`stage` `open`) or whose `--verify` must fail (`verify`).
    public struct Invalid: Decodable, Sendable {
        /// `checkpoint` or `adapter`: how the test opens it.
        public var kind: String
        /// `open` or `verify`.
        public var stage: String
        /// Text the error message must contain.
        public var error: String
        /// What `adaptool inspect` says instead, when it differs from the library's error.
        public var inspectError: String?
    }

    /// Valid fixtures by file name.
    public var valid: [String: Valid]
    /// Invalid fixtures by file name.
    public var invalid: [String: Invalid]

    /// Expectations given directly (an empty set stands in when the file cannot be read).
    public init(valid: [String: Valid], invalid: [String: Invalid]) {
        self.valid = valid
        self.invalid = invalid
    }

    /// Loads `Fixtures/expected.json`.
    public static func load() throws -> FixtureExpectations {
        let data = try Data(contentsOf: URL(fileURLWithPath: PackagePaths.fixtures + "/expected.json"))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(FixtureExpectations.self, from: data)
    }

    /// The path of fixture `name`.
    public static func path(_ name: String) -> String { PackagePaths.fixtures + "/" + name }
}
