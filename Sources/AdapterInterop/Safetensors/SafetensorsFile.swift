import AdapterCore
import Foundation

/// A safetensors file opened for reading: its header is parsed and validated on open, and each
/// tensor read with `pread` and converted to float32 only when asked for, so a large file is
/// streamed one tensor at a time. The file is never memory-mapped: a mapped file that another
/// program truncates kills the reader with SIGBUS, a short `pread` is one error line.
public final class SafetensorsFile {
    /// The file's path.
    public let path: String
    /// The validated header.
    public let header: SafetensorsHeader
    private let input: InputFile
    private let dataStart: Int
    private let indexByName: [String: Int]
    /// The tensors whose dtype ``TensorDType`` knows, in buffer order (``TensorReader``).
    public let tensors: [TensorInfo]

    /// Opens and validates `path`.
    public init(path: String) throws(InteropError) {
        self.path = path
        let input = try InteropError.wrapping { () throws(InputFileError) in try InputFile(path: path, expected: "a safetensors file") }
        self.input = input
        let size = input.size
        guard size >= 8 else { throw .malformedSafetensors(path: path, problem: "the file is \(size) bytes, too short for the 8-byte header length") }
        let lengthBytes = try InteropError.wrapping { () throws(InputFileError) in try input.bytes(at: 0, count: 8) }
        let headerLength = lengthBytes.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard headerLength <= UInt64(SafetensorsHeader.maximumSize) else {
            throw .malformedSafetensors(path: path, problem: "the header length is \(headerLength) bytes, above the \(SafetensorsHeader.maximumSize)-byte limit")
        }
        guard 8 + Int(headerLength) <= size else {
            throw .malformedSafetensors(path: path, problem: "the header length is \(headerLength) bytes but the file has only \(size - 8) after it")
        }
        dataStart = 8 + Int(headerLength)
        let headerBytes = try InteropError.wrapping { () throws(InputFileError) in try input.bytes(at: 8, count: Int(headerLength)) }
        header = try SafetensorsHeader(headerBytes: headerBytes[...], bufferSize: size - dataStart, path: path)
        indexByName = Dictionary(uniqueKeysWithValues: header.tensors.enumerated().map { ($1.name, $0) })
        tensors = header.tensors.compactMap(Self.tensorInfo)
    }

    /// The ``TensorReader`` entry for `name` and where its bytes start in the file.
    func tensorEntry(_ name: String) -> (info: TensorInfo, offset: Int)? {
        guard let entry = info(name), let tensor = Self.tensorInfo(of: entry) else { return nil }
        return (tensor, dataStart + entry.byteRange.lowerBound)
    }

    /// The header entry as a ``TensorInfo``, when ``TensorDType`` knows its dtype.
    private static func tensorInfo(of entry: SafetensorsTensorInfo) -> TensorInfo? {
        TensorDType(safetensorsName: entry.dtype.rawValue).flatMap { TensorInfo(name: entry.name, dtype: $0, shape: entry.shape) }
    }

    /// `count` bytes of the file from `offset`.
    func inputBytes(at offset: Int, count: Int) throws(InputFileError) -> [UInt8] { try input.bytes(at: offset, count: count) }

    /// Fills `buffer` with the file's bytes from `offset`.
    func readInput(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(InputFileError) { try input.read(into: buffer, at: offset) }

    /// Free-form string metadata (`__metadata__`).
    public var metadata: [String: String] { header.metadata }

    /// Tensor names in buffer order.
    public var tensorNames: [String] { header.tensors.map(\.name) }

    /// The header entry for `name`, if present.
    public func info(_ name: String) -> SafetensorsTensorInfo? { indexByName[name].map { header.tensors[$0] } }

    /// Reads tensor `name`, widened to float32, in row-major order.
    public func floats(_ name: String) throws(InteropError) -> [Float] {
        guard let info = info(name) else { throw .missingTensor(path: path, tensor: name, expected: "it in the file") }
        return try floats(info)
    }

    /// Reads the tensor described by `info`, widened to float32, whatever its values.
    public func floats(_ info: SafetensorsTensorInfo) throws(InteropError) -> [Float] {
        try read(info, countNonFinite: false).values
    }

    /// Reads the tensor described by `info`, widened to float32; a NaN or ±Inf value (also a
    /// float64 value beyond float32's range) is an error naming the tensor. Import uses this: an
    /// adaptool file never holds non-finite values (`inspect --verify` refuses them).
    public func finiteFloats(_ info: SafetensorsTensorInfo) throws(InteropError) -> [Float] {
        let (values, nonFinite) = try read(info, countNonFinite: true)
        return try finite(values, nonFinite: nonFinite, tensor: info.name)
    }

    /// The tensor's values and, when asked, how many are NaN or infinite, counted while widening
    /// (float32 data is read straight into the result, so counting is the one pass over it).
    private func read(_ info: SafetensorsTensorInfo, countNonFinite: Bool) throws(InteropError) -> (values: [Float], nonFinite: Int) {
        guard info.dtype.isReadable else { throw .unsupportedDType(path: path, tensor: info.name, dtype: info.dtype.rawValue) }
        let count = info.elementCount
        if let refusal = MemoryBudget.refusal(count: count, itemBytes: 4 + (info.dtype.bitsPerElement + 7) / 8, for: "tensor \"\(info.name)\"") {
            throw .format(.io(path: path, problem: refusal))
        }
        var nonFinite = 0
        #if _endian(little)
        if info.dtype == .f32 {
            let values = try readDirectly(info, count: count)
            if countNonFinite { for value in values where !value.isFinite { nonFinite += 1 } }
            return (values, nonFinite)
        }
        #endif
        let raw = try InteropError.wrapping { () throws(InputFileError) in
            try input.bytes(at: dataStart + info.byteRange.lowerBound, count: info.byteRange.count)
        }
        guard let values = raw.withUnsafeBytes({ Self.widen($0, count: count, dtype: info.dtype, nonFinite: &nonFinite) }) else {
            throw .unsupportedDType(path: path, tensor: info.name, dtype: info.dtype.rawValue)
        }
        return (values, nonFinite)
    }

    /// `values`, or the error for a tensor holding `nonFinite` NaN or infinite values.
    private func finite(_ values: [Float], nonFinite: Int, tensor: String) throws(InteropError) -> [Float] {
        guard nonFinite == 0 else { throw .nonFinite(path: path, tensor: tensor, count: nonFinite, total: values.count) }
        return values
    }

    /// Reads float32 data straight into the result (no intermediate copy).
    private func readDirectly(_ info: SafetensorsTensorInfo, count: Int) throws(InteropError) -> [Float] {
        try InteropError.wrapping { () throws(InputFileError) in try input.array(of: Float.self, count: count, at: dataStart + info.byteRange.lowerBound) }
    }

    /// Converts the little-endian `bytes` of a tensor to float32 (nil for a type adaptool does not
    /// read), counting in `nonFinite` the results that are NaN or infinite as it goes.
    private static func widen(_ bytes: UnsafeRawBufferPointer, count: Int, dtype: SafetensorsDType, nonFinite: inout Int) -> [Float]? {
        let element: (Int) -> Float
        switch dtype {
        case .f32:
            element = { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        case .f64:
            element = { Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
        case .f16:
            element = { HalfPrecision.float(fromHalf: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
        case .bf16:
            element = { HalfPrecision.float(fromBFloat16: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
        default:
            return nil
        }
        var bad = 0
        let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            for index in 0..<count {
                let value = element(index)
                if !value.isFinite { bad += 1 }
                buffer[index] = value
            }
            initialized = count
        }
        nonFinite = bad
        return values
    }

    /// Reads a 2-D tensor as a matrix; `role` describes the expected shape in errors.
    public func matrix(_ name: String, role: String) throws(InteropError) -> Matrix {
        guard let info = info(name) else { throw .missingTensor(path: path, tensor: name, expected: role) }
        guard info.shape.count == 2 else { throw .badShape(path: path, tensor: name, shape: info.shape, expected: role) }
        return Matrix(rows: info.shape[0], columns: info.shape[1], values: try floats(info))
    }

    /// Reads a 1-D tensor; `role` describes the expected shape in errors.
    public func vector(_ name: String, role: String) throws(InteropError) -> [Float] {
        guard let info = info(name) else { throw .missingTensor(path: path, tensor: name, expected: role) }
        guard info.shape.count == 1 else { throw .badShape(path: path, tensor: name, shape: info.shape, expected: role) }
        return try floats(info)
    }
}
