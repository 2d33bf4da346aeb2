/// `--verify` found a problem: names the file and every failed check, on one line.
public struct VerificationFailure: Error, CustomStringConvertible, Equatable, Sendable {
    /// The verified file.
    public var path: String
    /// The checks that failed.
    public var failed: [VerificationCheck]

    /// `FILE: verification failed: fingerprint mismatch (…); non-finite values: …`.
    public var description: String {
        "\(path): verification failed: " + failed.map(\.detail).joined(separator: "; ")
    }
}

extension FileInspection {
    /// Says what `path` is and what it holds, reading metadata only; with `verify`, also reads all
    /// data and runs the checks of spec/format.md (fingerprint, finite values, shapes).
    ///
    /// `base` is the checkpoint an adapter applies to: with it, the adapter's share of the base's
    /// parameters is computed and its `base_fingerprint` and shapes are compared.
    /// Throws for unreadable or invalid files; failed checks are reported in ``verification``.
    public static func inspect(path: String, base: String? = nil, verify: Bool = false) throws(FormatError) -> FileInspection {
        let root = try FormatError.wrapping { () throws(HDF5Error) in try HDF5File.openReadOnly(path).rootGroup() }
        let format = try FormatError.wrapping { () throws(HDF5Error) in try root.attribute("format") }
        switch format {
        case .string(FormatV1.checkpointFormat)?:
            return try inspectCheckpoint(path: path, verify: verify)
        case .string(FormatV1.adapterFormat)?:
            return try inspectAdapter(path: path, base: base, verify: verify)
        default:
            return try inspectForeign(root, path: path, verify: verify)
        }
    }

    /// Throws a ``VerificationFailure`` when a `--verify` check failed.
    public func requireVerified() throws(VerificationFailure) {
        let failed = verification?.filter { !$0.passed } ?? []
        if !failed.isEmpty { throw VerificationFailure(path: path, failed: failed) }
    }

    private static func attributeMap(_ attributes: [(name: String, value: HDF5AttributeValue)]) -> [String: AttributeValue] {
        Dictionary(attributes.map { ($0.name, AttributeValue($0.value)) }, uniquingKeysWith: { first, _ in first })
    }

    private static func inspectCheckpoint(path: String, verify: Bool) throws(FormatError) -> FileInspection {
        let file = try CheckpointFile(path: path)
        let rows = zip(file.layerNames, file.datasets).flatMap { name, pair in
            [DatasetRow(layer: name, pair.weight), DatasetRow(layer: name, pair.bias)]
        }
        let facts = CheckpointFacts(layerNames: file.layerNames, layerShapes: file.layerShapes.map { [$0.out, $0.in] },
                                    fingerprint: file.storedFingerprint, parameters: file.parameterCount)
        var checks: [VerificationCheck]?
        if verify {
            let (computed, nonFinite) = try file.verify()
            checks = [
                shapesCheck,
                computed == file.storedFingerprint
                    ? VerificationCheck(name: "fingerprint", passed: true, detail: "fingerprint matches: \(computed)")
                    : VerificationCheck(name: "fingerprint", passed: false,
                                        detail: "fingerprint mismatch: the file stores \(file.storedFingerprint) but its weights hash to \(computed)"),
                finiteCheck(nonFinite, total: file.parameterCount),
            ]
        }
        return FileInspection(path: path, kind: .checkpoint, formatVersion: Int(FormatV1.version), datasets: rows,
                              attributes: attributeMap(file.rootAttributes), checkpoint: facts, verification: checks)
    }

    private static func inspectAdapter(path: String, base: String?, verify: Bool) throws(FormatError) -> FileInspection {
        let summary = try AdapterFile.summary(of: path)
        var rows: [DatasetRow] = []
        var overrides: [String: LayerOverride] = [:]
        for name in summary.targetLayers {
            let datasets = summary.datasets[name, default: []]
            rows += datasets.map { DatasetRow(layer: name, $0) }
            let rank = datasets.first?.shape.first ?? summary.rank
            let scaling = summary.layerScaling[name] ?? summary.scaling
            if rank != summary.rank || scaling != summary.scaling { overrides[name] = LayerOverride(rank: rank, scaling: scaling) }
        }
        var facts = AdapterFacts(method: summary.method, rank: summary.rank, alpha: summary.alpha, scaling: summary.scaling,
                                 normAxis: summary.normAxis, targetLayers: summary.targetLayers, layerOverrides: overrides,
                                 baseFingerprint: summary.baseFingerprint, trainableParameters: summary.parameterCount)
        let baseFile = try base.map { path throws(FormatError) in try CheckpointFile(path: path) }
        if let baseFile {
            facts.baseParameters = baseFile.parameterCount
            facts.shareOfBase = baseFile.parameterCount > 0 ? Double(summary.parameterCount) / Double(baseFile.parameterCount) : nil
            facts.baseFingerprintMatches = baseFile.storedFingerprint == summary.baseFingerprint
        }
        var checks: [VerificationCheck]?
        if verify {
            let adapter = try AdapterFile.read(from: path)
            let nonFinite = adapter.layers.compactMap { layer -> (layer: String, count: Int)? in
                let count = nonFiniteCount(layer.a.values) + nonFiniteCount(layer.b.values) + nonFiniteCount(layer.magnitude ?? [])
                return count > 0 ? (layer.name, count) : nil
            }
            checks = [shapesCheck, finiteCheck(nonFinite, total: adapter.parameterCount)]
            if let baseFile { checks? += baseChecks(adapter, baseFile) }
        }
        return FileInspection(path: path, kind: .adapter, formatVersion: Int(FormatV1.version), datasets: rows,
                              attributes: attributeMap(summary.rootAttributes), adapter: facts, verification: checks)
    }

    /// With a base: the recorded fingerprint matches it and every adapted layer fits its weight.
    private static func baseChecks(_ adapter: Adapter, _ base: CheckpointFile) -> [VerificationCheck] {
        let fingerprintCheck = adapter.baseFingerprint == base.storedFingerprint
            ? VerificationCheck(name: "base fingerprint", passed: true, detail: "base_fingerprint matches \(base.path)")
            : VerificationCheck(name: "base fingerprint", passed: false,
                                detail: "base_fingerprint \(adapter.baseFingerprint) is not the fingerprint of \(base.path) (\(base.storedFingerprint))")
        let shapes = Dictionary(base.layerShapes.map { ($0.name, [$0.out, $0.in]) }, uniquingKeysWith: { first, _ in first })
        let misfits = adapter.layers.compactMap { layer -> String? in
            guard let shape = shapes[layer.name] else { return "\(layer.name) is not a layer of the base" }
            let delta = [layer.b.rows, layer.a.columns]
            return delta == shape ? nil : "\(layer.name): B·A is \(delta), the base weight is \(shape)"
        }
        let shapeCheck = misfits.isEmpty
            ? VerificationCheck(name: "base shapes", passed: true, detail: "every adapted layer fits the base")
            : VerificationCheck(name: "base shapes", passed: false, detail: "does not fit the base: " + misfits.joined(separator: ", "))
        return [fingerprintCheck, shapeCheck]
    }

    private static func inspectForeign(_ root: HDF5Group, path: String, verify: Bool) throws(FormatError) -> FileInspection {
        let (entries, truncated, attributes) = try FormatError.wrapping { () throws(HDF5Error) in
            let (entries, truncated) = try HDF5Tree.list(root)
            let attributes = try root.attributeNames().map { name throws(HDF5Error) in (name, try root.attribute(name) ?? .unsupported("missing")) }
            return (try entries.map { entry throws(HDF5Error) in try TreeEntry(entry) }, truncated, attributes)
        }
        let checks = verify ? [VerificationCheck(name: "format", passed: false,
                                                  detail: "not an adaptool checkpoint or adapter (no format attribute \"\(FormatV1.checkpointFormat)\" or \"\(FormatV1.adapterFormat)\"), so there is nothing to verify")] : nil
        return FileInspection(path: path, kind: .foreign, formatVersion: nil, datasets: entries.compactMap(\.dataset),
                              attributes: attributeMap(attributes), tree: entries, treeIsTruncated: truncated, verification: checks)
    }

    private static let shapesCheck = VerificationCheck(name: "shapes", passed: true, detail: "shapes and types follow spec/format.md")

    private static func finiteCheck(_ nonFinite: [(layer: String, count: Int)], total: Int) -> VerificationCheck {
        if nonFinite.isEmpty { return VerificationCheck(name: "finite", passed: true, detail: "all \(total) values are finite") }
        let list = nonFinite.map { "\($0.count) in \($0.layer)" }.joined(separator: ", ")
        return VerificationCheck(name: "finite", passed: false, detail: "non-finite values (NaN or ±Inf): \(list)")
    }

    private static func nonFiniteCount(_ values: [Float]) -> Int { values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) } }
}

extension TreeEntry {
    init(_ entry: HDF5TreeEntry) throws(HDF5Error) {
        path = entry.path
        switch entry.kind {
        case .group: kind = "group"
        case .dataset: kind = "dataset"
        case .namedDatatype: kind = "named datatype"
        case .softLink(let target): kind = "soft link"; self.target = target
        case .externalLink(let file, let path): kind = "external link"; target = "\(file):\(path)"
        case .other: kind = "other"
        case .repeatedGroup: kind = "repeated group"
        }
        if let dataset = entry.dataset {
            let parent = entry.path.split(separator: "/").dropLast().joined(separator: "/")
            self.dataset = DatasetRow(layer: "/" + parent, try DatasetSummary(dataset))
        }
    }
}
