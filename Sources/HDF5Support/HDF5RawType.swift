import CHDF5

/// The storage type of a typed raw dataset (format v2 tensors): values are moved as little-endian
/// bytes, never converted to another precision. HDF5Support cannot see AdapterCore's
/// `TensorDType`; AdapterCore maps each dtype to one of these (bfloat16 is stored as `uint16`
/// bit patterns, bool as `uint8`).
package enum HDF5RawType: Equatable, Sendable, CustomStringConvertible {
    /// IEEE binary16 with h5py's field layout (sign bit 15, exponent bits 10–14 biased by 15,
    /// mantissa bits 0–9): what h5py writes for `np.float16`.
    case float16
    /// IEEE binary32 (`H5T_IEEE_F32LE`).
    case float32
    /// IEEE binary64 (`H5T_IEEE_F64LE`).
    case float64
    /// A two's-complement signed or an unsigned integer of 8, 16, 32 or 64 bits (`H5T_STD_I*LE`/`U*LE`).
    case integer(bits: Int, signed: Bool)

    /// Bytes per element.
    package var byteWidth: Int {
        switch self {
        case .float16: return 2
        case .float32: return 4
        case .float64: return 8
        case .integer(let bits, _): return bits / 8
        }
    }

    /// `float16`, `int64`, `uint8`, …
    package var description: String {
        switch self {
        case .float16: return "float16"
        case .float32: return "float32"
        case .float64: return "float64"
        case .integer(let bits, let signed): return "\(signed ? "int" : "uint")\(bits)"
        }
    }

    /// A new HDF5 datatype for the little-endian storage of this type; the caller closes it.
    func makeLittleEndianType() throws(HDF5Error) -> hid_t {
        let operation = "creating the HDF5 type \(description)"
        switch self {
        case .float16:
            // h5py's recipe (h5t.pyx): IEEE_F32LE copied, fields set to binary16's, size 2, bias 15.
            let type = try HDF5Call.checkID(H5Tcopy(adaptool_H5T_IEEE_F32LE()), operation)
            do {
                try HDF5Call.check(H5Tset_fields(type, 15, 10, 5, 0, 10), operation)
                try HDF5Call.check(H5Tset_size(type, 2), operation)
                try HDF5Call.check(H5Tset_ebias(type, 15), operation)
            } catch {
                H5Tclose(type)
                throw error
            }
            return type
        case .float32: return try HDF5Call.checkID(H5Tcopy(adaptool_H5T_IEEE_F32LE()), operation)
        case .float64: return try HDF5Call.checkID(H5Tcopy(adaptool_H5T_IEEE_F64LE()), operation)
        case .integer(let bits, let signed):
            let base: hid_t
            switch (bits, signed) {
            case (8, true): base = adaptool_H5T_STD_I8LE()
            case (16, true): base = adaptool_H5T_STD_I16LE()
            case (32, true): base = adaptool_H5T_STD_I32LE()
            case (64, true): base = adaptool_H5T_STD_I64LE()
            case (8, false): base = adaptool_H5T_STD_U8LE()
            case (16, false): base = adaptool_H5T_STD_U16LE()
            case (32, false): base = adaptool_H5T_STD_U32LE()
            case (64, false): base = adaptool_H5T_STD_U64LE()
            default: throw HDF5Error(operation: operation, detail: "integers are 8, 16, 32 or 64 bits wide")
            }
            return try HDF5Call.checkID(H5Tcopy(base), operation)
        }
    }

    /// The raw type a stored HDF5 datatype holds, with its byte order; nil for anything else
    /// (strings, compounds, floats of other widths or field layouts such as a stored bfloat16
    /// float type, integers with padding bits, VAX or mixed byte orders).
    static func identify(_ type: hid_t) -> (type: HDF5RawType, isLittleEndian: Bool)? {
        let size = Int(H5Tget_size(type))
        let order = H5Tget_order(type)
        guard order == H5T_ORDER_LE || order == H5T_ORDER_BE,
              H5Tget_offset(type) == 0, H5Tget_precision(type) == size * 8 else { return nil }
        let little = order == H5T_ORDER_LE
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            guard [1, 2, 4, 8].contains(size) else { return nil }
            return (.integer(bits: size * 8, signed: H5Tget_sign(type) != H5T_SGN_NONE), little)
        case H5T_FLOAT:
            var sign = 0, exponentPosition = 0, exponentSize = 0, mantissaPosition = 0, mantissaSize = 0
            guard H5Tget_fields(type, &sign, &exponentPosition, &exponentSize, &mantissaPosition, &mantissaSize) >= 0 else {
                _ = HDF5Call.takeErrorStack()
                return nil
            }
            let fields = [sign, exponentPosition, exponentSize, mantissaPosition, mantissaSize]
            let bias = Int(H5Tget_ebias(type))
            let normalized = H5Tget_norm(type) == H5T_NORM_IMPLIED
            switch (size, fields, bias) {
            case (2, [15, 10, 5, 0, 10], 15) where normalized: return (.float16, little)
            case (4, [31, 23, 8, 0, 23], 127) where normalized: return (.float32, little)
            case (8, [63, 52, 11, 0, 52], 1023) where normalized: return (.float64, little)
            default: return nil
            }
        default:
            return nil
        }
    }
}
