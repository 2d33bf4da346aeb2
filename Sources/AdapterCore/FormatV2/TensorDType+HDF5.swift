/// How each dtype is stored in an HDF5 v2 file (spec/format.md §Dtypes).
extension TensorDType {
    /// The HDF5 storage type: IEEE floats as themselves, bfloat16 as its `uint16` bit patterns
    /// (HDF5 1.10 and h5py have no bfloat16; the `dtype` attribute says what the bits are), bool
    /// as `uint8` (0 or 1), integers as themselves; all little-endian.
    package var hdf5Storage: HDF5RawType {
        switch self {
        case .float16: return .float16
        case .float32: return .float32
        case .float64: return .float64
        case .bfloat16, .uint16: return .integer(bits: 16, signed: false)
        case .bool, .uint8: return .integer(bits: 8, signed: false)
        case .int8: return .integer(bits: 8, signed: true)
        case .int16: return .integer(bits: 16, signed: true)
        case .int32: return .integer(bits: 32, signed: true)
        case .int64: return .integer(bits: 64, signed: true)
        case .uint32: return .integer(bits: 32, signed: false)
        case .uint64: return .integer(bits: 64, signed: false)
        }
    }
}
