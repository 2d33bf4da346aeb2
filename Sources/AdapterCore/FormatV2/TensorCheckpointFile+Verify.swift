/// The result of recomputing a v2 checkpoint's digests.
public struct TensorVerification: Sendable, Equatable {
    /// The `fingerprint` attribute.
    public var storedFingerprint: String
    /// The model fingerprint recomputed from the recomputed tensor digests.
    public var computedFingerprint: String
    /// The first tensor, in stored order, whose recomputed digest differs from its `sha256`.
    public var firstMismatch: String?
    /// How many tensors' digests differ.
    public var mismatchCount: Int

    /// Whether every digest and the model fingerprint match.
    public var isValid: Bool { firstMismatch == nil && storedFingerprint == computedFingerprint }
}

extension TensorCheckpointFile {
    /// Reads every tensor once, recomputes its digest and the model fingerprint. Reading (HDF5,
    /// one thread) and hashing run side by side: tensor N is hashed while tensor N + 1 is read, so
    /// at most two tensors are in memory.
    public func verify() throws(FormatError) -> TensorVerification {
        var computed: [(name: String, digest: String)] = []
        var firstMismatch: String?
        var mismatches = 0
        func record(_ info: TensorInfo, _ digest: String) {
            computed.append((info.name, digest))
            if digest != self.digest(of: info.name) {
                mismatches += 1
                if firstMismatch == nil { firstMismatch = info.name }
            }
        }
        var pending: (info: TensorInfo, bytes: [UInt8])?
        for info in tensors {
            var next: [UInt8] = []
            let read = { () throws(FormatError) in next = try self.rawBytes(of: info.name) }
            if let current = pending {
                var digest = ""
                let hash = { digest = current.bytes.withUnsafeBytes { TensorDigest.digest(of: current.info, bytes: $0) } }
                if let failure = ConcurrentPair.run(first: read, second: hash) { throw failure }
                record(current.info, digest)
            } else {
                try read()
            }
            pending = (info, next)
        }
        if let last = pending { record(last.info, last.bytes.withUnsafeBytes { TensorDigest.digest(of: last.info, bytes: $0) }) }
        return TensorVerification(storedFingerprint: fingerprint, computedFingerprint: TensorDigest.modelFingerprint(computed) ?? "",
                                  firstMismatch: firstMismatch, mismatchCount: mismatches)
    }
}
