/// One tensor's entry in a safetensors header.
public struct SafetensorsTensorInfo: Equatable, Sendable {
    /// The tensor's name (a state-dict key).
    public var name: String
    /// Its element type.
    public var dtype: SafetensorsDType
    /// Its shape (`[]` for a scalar).
    public var shape: [Int]
    /// Its bytes within the data buffer (which starts right after the header).
    public var byteRange: Range<Int>

    /// Number of elements (the product of the shape).
    public var elementCount: Int { shape.reduce(1, *) }
}

/// The parsed and validated header of a safetensors file (the format's published description:
/// `u64le n ‖ n bytes of UTF-8 JSON ‖ data buffer`).
public struct SafetensorsHeader: Sendable {
    /// The reference implementation refuses headers above 100 MB; so do we.
    public static let maximumSize = 100_000_000

    /// Free-form string metadata (`__metadata__`).
    public var metadata: [String: String]
    /// The tensors, ordered by their position in the data buffer.
    public var tensors: [SafetensorsTensorInfo]

    /// Parses `headerBytes` and checks it against a data buffer of `bufferSize` bytes: offsets
    /// contiguous from 0, non-overlapping, covering the buffer exactly, each range matching
    /// dtype size × shape, names unique. `path` is only used in error messages.
    public init(headerBytes: some Collection<UInt8>, bufferSize: Int, path: String) throws(InteropError) {
        func malformed(_ problem: String) -> InteropError { .malformedSafetensors(path: path, problem: problem) }
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw malformed("the header is not valid UTF-8") }
        guard headerBytes.first == UInt8(ascii: "{") else { throw malformed("the header does not start with '{' (expected a JSON object)") }
        let document: JSONValue
        do { document = try JSONValue.parse(headerBytes) } catch {
            if error.message.hasPrefix("duplicate key") {
                throw malformed("the header names a tensor twice (\(error.message)); names must be unique")
            }
            throw malformed("the header is not valid JSON (\(error))")
        }
        guard case .object(let members) = document else { throw malformed("the header is not a JSON object") }
        var metadata: [String: String] = [:]
        var tensors: [SafetensorsTensorInfo] = []
        for (name, value) in members {
            if name == "__metadata__" {
                guard case .object(let entries) = value else { throw malformed("__metadata__ is \(value.typeName); expected an object of strings") }
                for (key, entry) in entries {
                    guard case .string(let text) = entry else { throw malformed("__metadata__[\"\(key)\"] is \(entry.typeName); expected a string") }
                    metadata[key] = text
                }
                continue
            }
            tensors.append(try Self.tensorInfo(name: name, value, malformed: malformed))
        }
        tensors.sort { ($0.byteRange.lowerBound, $0.byteRange.upperBound) < ($1.byteRange.lowerBound, $1.byteRange.upperBound) }
        var end = 0
        var previous: SafetensorsTensorInfo?
        for tensor in tensors {
            let range = tensor.byteRange
            if range.lowerBound < end, let previous {
                throw malformed("tensor \"\(tensor.name)\" data_offsets [\(range.lowerBound), \(range.upperBound)] overlap \"\(previous.name)\" [\(previous.byteRange.lowerBound), \(previous.byteRange.upperBound)]; offsets must be contiguous")
            }
            if range.lowerBound > end {
                throw malformed("tensor \"\(tensor.name)\" starts at byte \(range.lowerBound) but the previous tensor ends at \(end); offsets must be contiguous with no gap")
            }
            if range.upperBound > bufferSize {
                throw malformed("tensor \"\(tensor.name)\" data_offsets [\(range.lowerBound), \(range.upperBound)] run past the end of the \(bufferSize)-byte data buffer")
            }
            end = range.upperBound
            previous = tensor
        }
        guard end == bufferSize else {
            throw malformed("the tensors cover \(end) bytes but the data buffer holds \(bufferSize); the buffer must be covered exactly")
        }
        self.metadata = metadata
        self.tensors = tensors
    }

    private static func tensorInfo(name: String, _ value: JSONValue, malformed: (String) -> InteropError) throws(InteropError) -> SafetensorsTensorInfo {
        guard case .object = value else { throw malformed("tensor \"\(name)\" is described by \(value.typeName); expected an object with dtype, shape, data_offsets") }
        guard case .string(let dtypeName) = value["dtype"] ?? .null else { throw malformed("tensor \"\(name)\" lacks a string \"dtype\"") }
        guard let dtype = SafetensorsDType(rawValue: dtypeName) else {
            throw malformed("tensor \"\(name)\" has unknown dtype \"\(dtypeName)\"; expected one of \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard case .array(let dims) = value["shape"] ?? .null else { throw malformed("tensor \"\(name)\" lacks a \"shape\" array") }
        var shape: [Int] = []
        var elements = 1
        for dim in dims {
            guard let size = dim.exactInteger, size >= 0 else { throw malformed("tensor \"\(name)\" has shape entry \(dim.serialized); expected a non-negative integer") }
            let (product, overflow) = elements.multipliedReportingOverflow(by: size)
            guard !overflow else { throw malformed("tensor \"\(name)\" shape \(dims.map(\.serialized)) has too many elements") }
            elements = product
            shape.append(size)
        }
        guard case .array(let offsets) = value["data_offsets"] ?? .null, offsets.count == 2,
              let begin = offsets[0].exactInteger, let end = offsets[1].exactInteger, begin >= 0, end >= begin else {
            throw malformed("tensor \"\(name)\" needs \"data_offsets\": [begin, end] with 0 ≤ begin ≤ end")
        }
        let (bits, overflow) = elements.multipliedReportingOverflow(by: dtype.bitsPerElement)
        guard !overflow, bits % 8 == 0 else { throw malformed("tensor \"\(name)\" of \(elements) \(dtypeName) elements does not fill whole bytes") }
        guard end - begin == bits / 8 else {
            throw malformed("tensor \"\(name)\" spans \(end - begin) bytes but \(dtypeName) × shape \(shape) needs \(bits / 8)")
        }
        return SafetensorsTensorInfo(name: name, dtype: dtype, shape: shape, byteRange: begin..<end)
    }
}
