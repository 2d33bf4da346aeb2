import AdapterCore

/// A model held in memory for tests: tensors of any dtype with their stored bytes and optional
/// stored digests, read through ``TensorReader`` like a file.
public struct MemoryTensorReader: TensorReader {
    /// Every tensor with its bytes and stored digest, in order.
    public var entries: [(info: TensorInfo, bytes: [UInt8], digest: String?)]

    /// A model of `entries`.
    public init(entries: [(info: TensorInfo, bytes: [UInt8], digest: String?)]) { self.entries = entries }

    /// Every tensor, in order.
    public var tensors: [TensorInfo] { entries.map(\.info) }
    /// The tensor called `name`.
    public func info(named name: String) -> TensorInfo? { entries.first { $0.info.name == name }?.info }
    /// Its bytes; an unknown name is an error.
    public func rawBytes(of name: String) throws(FormatError) -> [UInt8] {
        guard let entry = entries.first(where: { $0.info.name == name }) else { throw .io(path: "memory", problem: "no \(name)") }
        return entry.bytes
    }
    /// Its values widened to float64 (empty for an integer tensor).
    public func float64Values(of name: String) throws(FormatError) -> [Double] {
        let bytes = try rawBytes(of: name)
        return info(named: name).flatMap { $0.dtype.float64Values(fromLittleEndian: bytes, count: $0.elementCount) } ?? []
    }
    /// Its stored digest, if given.
    public func storedDigest(of name: String) -> String? { entries.first { $0.info.name == name }?.digest }
}
