/// What `adaptool inspect` found in a v2 (named-tensor) checkpoint or adapter, from metadata only
/// (plus digest checks with `verify`): plain values, printed as tables or encoded as JSON.
public struct TensorFileInspection: Codable, Equatable, Sendable {
    /// The inspected path.
    public var path: String
    /// Checkpoint or adapter.
    public var kind: FileInspection.Kind
    /// `format_version` (2).
    public var formatVersion: Int
    /// Checkpoint: `architecture`.
    public var architecture: String?
    /// Checkpoint: the stored model fingerprint.
    public var fingerprint: String?
    /// Adapter: the method's registry name.
    public var method: String?
    /// Adapter: the base model fingerprint it records.
    public var baseFingerprint: String?
    /// Adapter with a v2 base given: whether that base's fingerprint is the recorded one.
    public var baseFingerprintMatches: Bool?
    /// Checkpoint: every tensor in stored order; adapter: every factor (`module` is the target).
    public var tensors: [TensorRow]
    /// Element and byte totals per dtype.
    public var dtypeTotals: [DTypeTotal]
    /// Adapter: its targets in stored order.
    public var targets: [TargetRow]?
    /// Checkpoint: the attached files (config.json, …).
    public var attachedFiles: [String]?
    /// The root group's attributes by name.
    public var attributes: [String: AttributeValue]
    /// The checks `verify` ran; nil when it was not asked for.
    public var verification: [VerificationCheck]?

    /// Whether every verification check passed (true when none ran).
    public var isVerified: Bool { verification?.allSatisfy(\.passed) ?? true }

    /// One tensor.
    public struct TensorRow: Codable, Equatable, Sendable {
        /// The module: the name up to its last `.` (`model.layers.0.self_attn.q_proj`); a factor's target.
        public var module: String
        /// The full tensor name (a factor's role).
        public var name: String
        /// Its dtype.
        public var dtype: String
        /// Its shape (`[]` for a scalar).
        public var shape: [Int]
        /// Element count.
        public var parameters: Int
        /// Bytes of its values.
        public var bytes: Int
        /// The stored SHA-256 digest.
        public var sha256: String?
        /// The source shard it came from, if recorded.
        public var shard: String?
    }

    /// Totals for one dtype.
    public struct DTypeTotal: Codable, Equatable, Sendable {
        /// The dtype.
        public var dtype: String
        /// How many tensors have it.
        public var tensors: Int
        /// Their elements.
        public var parameters: Int
        /// Their bytes.
        public var bytes: Int
    }

    /// One adapter target.
    public struct TargetRow: Codable, Equatable, Sendable {
        /// The base tensor it adapts.
        public var tensor: String
        /// Its rank.
        public var rank: Int
        /// Its scaling (ΔW = scaling · B · A).
        public var scaling: Double
        /// `out_in` or `in_out`.
        public var layout: String
        /// Its factor roles, sorted.
        public var roles: [String]
        /// Elements of its factors.
        public var parameters: Int
        /// With a v2 base: the base tensor's shape (nil when the base lacks it).
        public var baseShape: [Int]?
    }

    /// The module of tensor `name`: everything before its last `.` (the name itself if it has none).
    public static func module(of name: String) -> String {
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return name }
        return String(name[..<dot])
    }

    static func totals(_ rows: [TensorRow]) -> [DTypeTotal] {
        var totals: [String: DTypeTotal] = [:]
        for row in rows {
            var total = totals[row.dtype] ?? DTypeTotal(dtype: row.dtype, tensors: 0, parameters: 0, bytes: 0)
            total.tensors += 1
            total.parameters &+= row.parameters
            total.bytes &+= row.bytes
            totals[row.dtype] = total
        }
        return totals.values.sorted { $0.bytes > $1.bytes || ($0.bytes == $1.bytes && $0.dtype < $1.dtype) }
    }

    /// Throws a ``VerificationFailure`` when a `verify` check failed.
    public func requireVerified() throws(VerificationFailure) {
        let failed = verification?.filter { !$0.passed } ?? []
        if !failed.isEmpty { throw VerificationFailure(path: path, failed: failed) }
    }
}
