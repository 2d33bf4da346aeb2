/// Write access to a set of named tensors (an HDF5 v2 checkpoint, a safetensors file or a model
/// folder's shards). Tensors are written one at a time so a whole model never sits in memory.
public protocol TensorWriter<Failure>: AnyObject {
    /// What writing can throw.
    associatedtype Failure: Error

    /// Writes one tensor: `bytes` are `info.byteCount` little-endian elements of `info.dtype`.
    /// `digest`, when given, is the tensor's known ``TensorDigest`` (a merge passes the base's
    /// digest of an untouched tensor so it is not hashed again); writers that do not store digests ignore it.
    func write(_ info: TensorInfo, bytes: UnsafeRawBufferPointer, digest: String?) throws(Failure)
}
