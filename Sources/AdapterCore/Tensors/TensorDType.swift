/// The element type of a named tensor, whatever file holds it. Values are stored little-endian.
public enum TensorDType: String, Sendable, CaseIterable {
    /// Floating types: IEEE binary32, binary16, bfloat16 and binary64.
    case float32, float16, bfloat16, float64
    /// Signed integers.
    case int8, int16, int32, int64
    /// Unsigned integers.
    case uint8, uint16, uint32, uint64
    /// One byte per element, 0 or 1.
    case bool

    /// Bytes per element.
    public var byteWidth: Int {
        switch self {
        case .int8, .uint8, .bool: return 1
        case .float16, .bfloat16, .int16, .uint16: return 2
        case .float32, .int32, .uint32: return 4
        case .float64, .int64, .uint64: return 8
        }
    }

    /// Whether the values are floating point (and so widen to float64 exactly).
    public var isFloatingPoint: Bool { [.float32, .float16, .bfloat16, .float64].contains(self) }

    /// The name a safetensors header uses (`F32`, `BF16`, `I64`, `BOOL`, …).
    public var safetensorsName: String {
        switch self {
        case .float32: return "F32"
        case .float16: return "F16"
        case .bfloat16: return "BF16"
        case .float64: return "F64"
        case .int8: return "I8"
        case .int16: return "I16"
        case .int32: return "I32"
        case .int64: return "I64"
        case .uint8: return "U8"
        case .uint16: return "U16"
        case .uint32: return "U32"
        case .uint64: return "U64"
        case .bool: return "BOOL"
        }
    }

    /// The type a safetensors header names `name`, or nil for one outside this set (the 8-, 6-
    /// and 4-bit floats, C64).
    public init?(safetensorsName name: String) {
        guard let match = Self.allCases.first(where: { $0.safetensorsName == name }) else { return nil }
        self = match
    }

    /// Widens `count` little-endian elements of this (floating) type in `bytes` to float64,
    /// exactly; nil when the type is not floating point or `bytes` is not `count` elements long.
    public func float64Values(fromLittleEndian bytes: [UInt8], count: Int) -> [Double]? {
        guard isFloatingPoint, bytes.count == count * byteWidth else { return nil }
        var values = [Double](repeating: 0, count: count)
        bytes.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { widen(raw, into: $0) }
        }
        return values
    }
}
