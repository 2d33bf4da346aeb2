import Foundation

/// `Fixtures/expected.json`, written by `Fixtures/generate.py` (the independent h5py implementation).
public struct FixtureExpectations: Decodable, Sendable {
    /// A file the library must read, with the values it must find.
    public struct Valid: Decodable, Sendable {
        /// `checkpoint`, `adapter` or `foreign`.
        public var kind: String
        // Checkpoints.
        public var layerNames: [String]?
        public var shapes: [String: [String: [Int]]]?
        public var dtype: String?
        public var compression: String?
        public var fingerprint: String?
        public var inputShape: [Int]?
        public var normalizationMean: [Double]?
        public var normalizationStd: [Double]?
        public var classNames: [String]?
        public var parameters: Int?
        /// Layer → `weight`/`bias` → values (row-major, already rounded to float32).
        public var values: [String: [String: [Double]]]?
        // Adapters.
        public var method: String?
        public var rank: Int?
        public var alpha: Double?
        public var scaling: Double?
        public var normAxis: String?
        public var targetLayers: [String]?
        public var baseFingerprint: String?
        public var layers: [String: AdapterLayer]?
        // Foreign files: path → kind.
        public var tree: [String: String]?
    }

    /// One adapter layer's expected shapes and values.
    public struct AdapterLayer: Decodable, Sendable {
        public var scaling: Double
        public var loraAShape: [Int]
        public var loraBShape: [Int]
        public var magnitudeShape: [Int]?
        public var loraA: [Double]
        public var loraB: [Double]
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
