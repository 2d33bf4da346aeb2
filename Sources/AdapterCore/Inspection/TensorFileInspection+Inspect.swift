extension TensorFileInspection {
    /// Inspects the v2 checkpoint or adapter at `path` (see ``FormatProbe``), reading metadata
    /// only; with `verify`, recomputes every digest (and a checkpoint's model fingerprint) and names
    /// the first tensor that fails. `base`, for an adapter, is a v2 checkpoint to compare with;
    /// `fits` (method name, target, base tensor) says why a target does not fit its base tensor
    /// (the method registry's check, which this module cannot see), or nil when it fits.
    public static func inspect(path: String, base: String? = nil, verify: Bool = false,
                               fits: ((String, LowRankTarget, TensorInfo) -> String?)? = nil) throws(FormatError) -> TensorFileInspection {
        if FormatProbe.probe(path: path)?.format == FormatV1.adapterFormat {
            return try inspectAdapter(path: path, base: base, verify: verify, fits: fits)
        }
        return try inspectCheckpoint(path: path, verify: verify)
    }

    private static func attributeMap(_ attributes: [(name: String, value: HDF5AttributeValue)]) -> [String: AttributeValue] {
        Dictionary(attributes.map { ($0.name, AttributeValue($0.value)) }, uniquingKeysWith: { first, _ in first })
    }

    private static func inspectCheckpoint(path: String, verify: Bool) throws(FormatError) -> TensorFileInspection {
        let file = try TensorCheckpointFile(path: path)
        let rows = file.tensors.map { info in
            TensorRow(module: module(of: info.name), name: info.name, dtype: info.dtype.rawValue, shape: info.shape,
                      parameters: info.elementCount, bytes: info.byteCount, sha256: file.digest(of: info.name), shard: file.shard(of: info.name))
        }
        var checks: [VerificationCheck]?
        if verify {
            let result = try file.verify()
            checks = [
                result.firstMismatch.map { first in
                    VerificationCheck(name: "tensor digests", passed: false,
                                      detail: "tensor \"\(first)\" does not match its sha256 (\(result.mismatchCount) of \(rows.count) tensors differ)")
                } ?? VerificationCheck(name: "tensor digests", passed: true, detail: "all \(rows.count) tensors match their sha256"),
                result.computedFingerprint == file.fingerprint
                    ? VerificationCheck(name: "fingerprint", passed: true, detail: "fingerprint matches: \(file.fingerprint)")
                    : VerificationCheck(name: "fingerprint", passed: false,
                                        detail: "fingerprint mismatch: the file stores \(file.fingerprint) but its tensors hash to \(result.computedFingerprint)"),
            ]
        }
        return TensorFileInspection(path: path, kind: .checkpoint, formatVersion: Int(FormatV2.version), architecture: file.architecture,
                                    fingerprint: file.fingerprint, tensors: rows, dtypeTotals: totals(rows), attachedFiles: file.attachedFiles,
                                    attributes: attributeMap(file.rootAttributes), verification: checks)
    }

    private static func inspectAdapter(path: String, base: String?, verify: Bool,
                                       fits: ((String, LowRankTarget, TensorInfo) -> String?)?) throws(FormatError) -> TensorFileInspection {
        let file = try TensorAdapterFile(path: path)
        let baseFile = try base.map { path throws(FormatError) in try TensorCheckpointFile(path: path) }
        var rows: [TensorRow] = []
        var targets: [TargetRow] = []
        for target in file.manifest.targets {
            let roles = target.factors.keys.sorted()
            for role in roles {
                guard let info = target.factors[role] else { continue }
                rows.append(TensorRow(module: target.tensor, name: role, dtype: info.dtype.rawValue, shape: info.shape, parameters: info.elementCount,
                                      bytes: info.byteCount, sha256: file.factorDigest(tensor: target.tensor, role: role), shard: nil))
            }
            targets.append(TargetRow(tensor: target.tensor, rank: target.rank, scaling: target.scaling, layout: target.layout.rawValue, roles: roles,
                                     parameters: target.factors.values.reduce(0) { $0 &+ $1.elementCount },
                                     baseShape: baseFile?.info(named: target.tensor)?.shape))
        }
        var checks: [VerificationCheck]?
        if verify {
            let mismatch = try file.firstMismatchedFactor()
            checks = [mismatch.map { VerificationCheck(name: "factor digests", passed: false, detail: "factor \"\($0.role)\" of target \"\($0.tensor)\" does not match its sha256") }
                ?? VerificationCheck(name: "factor digests", passed: true, detail: "all \(rows.count) factors match their sha256")]
            if let baseFile {
                let missing = targets.filter { $0.baseShape == nil }.map(\.tensor)
                // A target on a tensor the base has but cannot adapt (an int64 buffer, a bias, a
                // weight of another shape): merge refuses it, so --verify must not call it fine.
                let misfits = file.manifest.targets.compactMap { target in
                    baseFile.info(named: target.tensor).flatMap { fits?(file.manifest.method, target, $0) }
                }
                checks?.append(!missing.isEmpty
                    ? VerificationCheck(name: "base tensors", passed: false, detail: "not in the base: " + missing.joined(separator: ", "))
                    : misfits.isEmpty
                    ? VerificationCheck(name: "base tensors", passed: true, detail: "every target is a tensor of \(baseFile.path)")
                    : VerificationCheck(name: "base tensors", passed: false, detail: misfits.joined(separator: "; ")))
            }
        }
        return TensorFileInspection(path: path, kind: .adapter, formatVersion: Int(FormatV2.version), method: file.manifest.method,
                                    baseFingerprint: file.manifest.baseFingerprint,
                                    baseFingerprintMatches: baseFile.map { $0.fingerprint == file.manifest.baseFingerprint },
                                    tensors: rows, dtypeTotals: totals(rows), targets: targets,
                                    attributes: attributeMap(file.rootAttributes), verification: checks)
    }
}
