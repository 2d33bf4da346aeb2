/// A tensor element type named in a safetensors header. adaptool converts the floating types
/// F32, F64, F16 and BF16; the others are known only so a file holding them can be validated
/// (and refused by name when such a tensor is actually needed).
public enum SafetensorsDType: String, Sendable, CaseIterable {
    /// One-byte types: boolean, integers and the 8-bit floats.
    case bool = "BOOL", u8 = "U8", i8 = "I8", f8e5m2 = "F8_E5M2", f8e4m3 = "F8_E4M3", f8e8m0 = "F8_E8M0"
    /// Two-byte types; F16 (IEEE binary16) and BF16 (bfloat16) are read.
    case i16 = "I16", u16 = "U16", f16 = "F16", bf16 = "BF16"
    /// Four-byte types; F32 is read and written.
    case i32 = "I32", u32 = "U32", f32 = "F32"
    /// Eight-byte types; F64 is read (rounded to float32).
    case i64 = "I64", u64 = "U64", f64 = "F64", c64 = "C64"
    /// Sub-byte floats, packed.
    case f4 = "F4", f6e2m3 = "F6_E2M3", f6e3m2 = "F6_E3M2"

    /// Bits per element (sub-byte types pack several elements per byte).
    public var bitsPerElement: Int {
        switch self {
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .i64, .u64, .f64, .c64: return 64
        }
    }

    /// Whether adaptool reads this type (widening it to float32).
    public var isReadable: Bool { [.f32, .f64, .f16, .bf16].contains(self) }

    /// Whether adaptool writes this type.
    public var isWritable: Bool { [.f32, .f16, .bf16].contains(self) }
}
