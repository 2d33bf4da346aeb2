import AdapterCore

/// An in-memory set of named tensors for tests, with optional stored digests.
public struct MemoryTensors: TensorReader {
    /// The tensors in order: info, little-endian bytes, recorded digest.
    public var entries: [(info: TensorInfo, bytes: [UInt8], digest: String?)]

    /// Creates the set.
    public init(entries: [(info: TensorInfo, bytes: [UInt8], digest: String?)]) { self.entries = entries }

    /// A float32 entry.
    public static func float32(_ name: String, _ shape: [Int], _ values: [Float], digest: String? = nil) throws(FormatError) -> (info: TensorInfo, bytes: [UInt8], digest: String?) {
        guard let info = TensorInfo(name: name, dtype: .float32, shape: shape), info.elementCount == values.count else {
            throw .io(path: "memory", problem: "\(name): \(values.count) values do not fill \(shape)")
        }
        return (info, values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }, digest)
    }

    public var tensors: [TensorInfo] { entries.map(\.info) }
    public func info(named name: String) -> TensorInfo? { entries.first { $0.info.name == name }?.info }
    public func rawBytes(of name: String) throws(FormatError) -> [UInt8] {
        guard let entry = entries.first(where: { $0.info.name == name }) else { throw .io(path: "memory", problem: "no tensor \(name)") }
        return entry.bytes
    }
    public func float64Values(of name: String) throws(FormatError) -> [Double] {
        let bytes = try rawBytes(of: name)
        return info(named: name).flatMap { $0.dtype.float64Values(fromLittleEndian: bytes, count: $0.elementCount) } ?? []
    }
    public func storedDigest(of name: String) -> String? { entries.first { $0.info.name == name }?.digest }
}
