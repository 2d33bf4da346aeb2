/// Read access to the named tensors of a file or folder (safetensors, single or sharded), without
/// decoding what is not asked for: the header is read once, each tensor's bytes only on request.
public protocol TensorReader<Failure> {
    /// What reading can throw.
    associatedtype Failure: Error

    /// Every tensor, in stored order.
    var tensors: [TensorInfo] { get }

    /// The tensor called `name`, if present (a dictionary lookup).
    func info(named name: String) -> TensorInfo?

    /// The tensor's bytes exactly as stored (little-endian), `info.byteCount` of them.
    func rawBytes(of name: String) throws(Failure) -> [UInt8]

    /// Reads the tensor's bytes exactly as stored into `buffer`, which holds exactly
    /// `info.byteCount` bytes: lets a streaming caller reuse one buffer for every tensor (no fresh
    /// pages to fault in per tensor).
    func readRawBytes(of name: String, into buffer: UnsafeMutableRawBufferPointer) throws(Failure)

    /// The tensor's values widened to float64 (exact for every floating dtype), row-major;
    /// an integer or bool tensor is an error.
    func float64Values(of name: String) throws(Failure) -> [Double]

    /// The tensor's SHA-256 ``TensorDigest`` as the file records it, without reading data; nil
    /// when the format stores none (safetensors). Diff skips tensors whose digests match.
    func storedDigest(of name: String) -> String?
}

extension TensorReader {
    /// Formats that store no digests.
    public func storedDigest(of name: String) -> String? { nil }

    /// Formats that cannot read in place: ``rawBytes(of:)`` copied into `buffer` (its first
    /// `buffer.count` bytes; callers pass the tensor's byte count).
    public func readRawBytes(of name: String, into buffer: UnsafeMutableRawBufferPointer) throws(Failure) {
        let bytes = try rawBytes(of: name)
        bytes.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0.prefix(buffer.count))) }
    }
}
