/// A v2 adapter (spec/format.md §3) opened for reading: its root attributes, every target group's
/// attributes and every factor dataset are validated on open without reading data. Factor values
/// are read on request. The method's own rules (which roles, which shapes) are checked by the
/// method registry, which this module cannot see.
public final class TensorAdapterFile: LowRankFactorSource {
    /// What reading throws.
    public typealias Failure = FormatError

    /// The file's path.
    public let path: String
    /// Method, base fingerprint and targets in stored order (`order`), each with its factor infos.
    public let manifest: LowRankManifest
    /// Every root attribute, for display.
    package let rootAttributes: [(name: String, value: HDF5AttributeValue)]

    private let targetsGroup: HDF5Group
    /// Per base tensor name: the target's link name and its factor datasets by role.
    private let stored: [String: (link: String, factors: [String: V2TensorDataset])]

    /// Opens and validates `path`, reading metadata only. A v1 adapter is
    /// ``FormatError/unsupportedVersion(path:found:supported:)``.
    public init(path: String) throws(FormatError) {
        self.path = path
        let root = try FormatError.wrapping { () throws(HDF5Error) in try HDF5File.openReadOnly(path).rootGroup() }
        let attributes = V1AttributeReader(holder: root, filePath: path)
        try attributes.requireFormatV2(FormatV1.adapterFormat)
        let method = try attributes.string("method")
        guard !method.isEmpty else { throw attributes.invalid("method", "is empty; expected a method name such as \"lora\" or \"dora\"") }
        let baseFingerprint = try attributes.optionalDigest("base_fingerprint")

        guard try FormatError.wrapping({ () throws(HDF5Error) in try root.containsChecked(FormatV2.targetsGroup) }) else { throw .invalidTensor(path: path, tensor: "/\(FormatV2.targetsGroup)", problem: "the group is missing; a v2 adapter keeps its targets there") }
        let targetsGroup = try FormatError.wrapping { () throws(HDF5Error) in try root.openGroup(FormatV2.targetsGroup) }
        self.targetsGroup = targetsGroup
        let links = try FormatError.wrapping { () throws(HDF5Error) in try targetsGroup.childNames() }
        guard !links.isEmpty else { throw .invalidTensor(path: path, tensor: "/\(FormatV2.targetsGroup)", problem: "is empty; an adapter targets at least one tensor") }
        var targets: [(order: Int64, target: LowRankTarget)] = []
        var stored: [String: (link: String, factors: [String: V2TensorDataset])] = [:]
        for link in links {
            let (order, target, factors) = try Self.readTarget(link, in: targetsGroup, path: path)
            if let other = stored[target.tensor] {
                throw .invalidTensor(path: path, tensor: target.tensor, problem: "is targeted twice, by \"\(other.link)\" and \"\(link)\"")
            }
            stored[target.tensor] = (link, factors)
            targets.append((order, target))
        }
        targets.sort { $0.order < $1.order }
        for (previous, next) in zip(targets, targets.dropFirst()) where previous.order == next.order {
            throw .invalidTensor(path: path, tensor: next.target.tensor, problem: "has order \(next.order), like target \"\(previous.target.tensor)\"; each target needs its own position")
        }
        self.stored = stored
        manifest = LowRankManifest(method: method, baseFingerprint: baseFingerprint, targets: targets.map(\.target),
                                   createdBy: try attributes.optionalString("created_by"), provenance: try attributes.optionalString("provenance"))
        rootAttributes = try FormatError.wrapping { () throws(HDF5Error) in
            try root.attributeNames().map { name throws(HDF5Error) in (name, try root.attribute(name) ?? .unsupported("missing")) }
        }
    }

    private static func readTarget(_ link: String, in targets: HDF5Group, path: String) throws(FormatError) -> (Int64, LowRankTarget, [String: V2TensorDataset]) {
        let group = try FormatError.wrapping { () throws(HDF5Error) in try targets.openGroup(link) }
        let attributes = V1AttributeReader(holder: group, filePath: path)
        let tensor = try attributes.string("tensor")
        func invalid(_ problem: String) -> FormatError { .invalidTensor(path: path, tensor: tensor, problem: problem) }
        guard TensorNameEscaping.unescape(link) == tensor, TensorNameEscaping.problem(with: tensor) == nil else {
            throw invalid("its target link name \"\(link)\" does not unescape to its tensor attribute (expected \"\(TensorNameEscaping.escape(tensor))\")")
        }
        let rank = try attributes.integer("rank")
        if let problem = V1Rules.rankProblem(rank) { throw attributes.invalid("rank", problem) }
        let scaling = try attributes.number("scaling")
        guard scaling.isFinite else { throw attributes.invalid("scaling", "is \(scaling); expected a finite number") }
        let layoutText = try attributes.string("layout")
        guard let layout = WeightLayout(rawValue: layoutText) else {
            throw attributes.invalid("layout", "is \"\(layoutText)\"; expected \"out_in\" or \"in_out\"")
        }
        let order = try attributes.integer("order")
        guard order >= 0 else { throw attributes.invalid("order", "is \(order); expected a non-negative integer") }
        let roles = try FormatError.wrapping { () throws(HDF5Error) in try group.childNames() }
        guard !roles.isEmpty else { throw invalid("has no factor datasets") }
        var factors: [String: V2TensorDataset] = [:]
        for role in roles {
            let dataset = try V2TensorDataset(in: group, linkName: role, requirements: .factor, label: "\(tensor)\" factor \"\(role)")
            guard dataset.info.dtype.isFloatingPoint else { throw invalid("factor \"\(role)\" is \(dataset.info.dtype.rawValue); factors are floating point") }
            factors[role] = dataset
        }
        let target = LowRankTarget(tensor: tensor, rank: Int(rank), scaling: scaling, layout: layout, factors: factors.mapValues(\.info))
        return (order, target, factors)
    }

    private func factor(_ tensor: String, _ role: String) throws(FormatError) -> (group: String, dataset: V2TensorDataset) {
        guard let target = stored[tensor] else { throw .invalidTensor(path: path, tensor: tensor, problem: "is not a target of this adapter") }
        guard let dataset = target.factors[role] else {
            throw .invalidTensor(path: path, tensor: tensor, problem: "has no factor \"\(role)\" (it has \(target.factors.keys.sorted().joined(separator: ", ")))")
        }
        return (target.link, dataset)
    }

    /// The stored SHA-256 digest of a factor (computed with the role as the tensor name).
    public func factorDigest(tensor: String, role: String) -> String? { stored[tensor]?.factors[role]?.digest }

    /// The factor's bytes exactly as stored (little-endian, its own dtype).
    public func factorBytes(tensor: String, role: String) throws(FormatError) -> [UInt8] {
        let (link, dataset) = try factor(tensor, role)
        let group = try FormatError.wrapping { () throws(HDF5Error) in try targetsGroup.openGroup(link) }
        return try dataset.readBytes(from: group)
    }

    /// The factor's values widened exactly to float64, row-major.
    public func factorValues(tensor: String, role: String) throws(FormatError) -> [Double] {
        let info = try factor(tensor, role).dataset.info
        let bytes = try factorBytes(tensor: tensor, role: role)
        return info.dtype.float64Values(fromLittleEndian: bytes, count: info.elementCount) ?? []
    }

    /// Recomputes every factor's digest; returns the first (target in stored order, roles in name
    /// order) whose stored digest does not match, or nil when all match.
    public func firstMismatchedFactor() throws(FormatError) -> (tensor: String, role: String)? {
        for target in manifest.targets {
            for role in target.factors.keys.sorted() {
                guard let info = target.factors[role] else { continue }
                let bytes = try factorBytes(tensor: target.tensor, role: role)
                let computed = bytes.withUnsafeBytes { TensorDigest.digest(of: info, bytes: $0) }
                if computed != factorDigest(tensor: target.tensor, role: role) { return (target.tensor, role) }
            }
        }
        return nil
    }
}
