import AdapterCore
import Foundation

/// A safetensors file opened for reading: the file is memory-mapped, its header parsed and
/// validated on open, and each tensor converted to float32 only when asked for, so a large file
/// is streamed one tensor at a time.
public final class SafetensorsFile {
    /// The file's path.
    public let path: String
    /// The validated header.
    public let header: SafetensorsHeader
    private let mapping: UnsafeRawBufferPointer
    private let dataStart: Int
    private let indexByName: [String: Int]

    /// Maps and validates `path`.
    public init(path: String) throws(InteropError) {
        self.path = path
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .format(.io(path: path, problem: "cannot open: \(String(cString: strerror(errno)))")) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            throw .format(.io(path: path, problem: "is not a regular file"))
        }
        let size = Int(status.st_size)
        guard size >= 8 else { throw .malformedSafetensors(path: path, problem: "the file is \(size) bytes, too short for the 8-byte header length") }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw .format(.io(path: path, problem: "cannot memory-map: \(String(cString: strerror(errno)))"))
        }
        let mapping = UnsafeRawBufferPointer(start: base, count: size)
        let headerLength = UInt64(littleEndian: mapping.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(SafetensorsHeader.maximumSize) else {
            munmap(base, size)
            throw .malformedSafetensors(path: path, problem: "the header length is \(headerLength) bytes, above the \(SafetensorsHeader.maximumSize)-byte limit")
        }
        guard 8 + Int(headerLength) <= size else {
            munmap(base, size)
            throw .malformedSafetensors(path: path, problem: "the header length is \(headerLength) bytes but the file has only \(size - 8) after it")
        }
        let dataStart = 8 + Int(headerLength)
        do {
            header = try SafetensorsHeader(headerBytes: mapping[8..<dataStart], bufferSize: size - dataStart, path: path)
        } catch {
            munmap(base, size)
            throw error
        }
        self.mapping = mapping
        self.dataStart = dataStart
        indexByName = Dictionary(uniqueKeysWithValues: header.tensors.enumerated().map { ($1.name, $0) })
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: mapping.baseAddress), mapping.count) }

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

    /// Reads the tensor described by `info`, widened to float32.
    public func floats(_ info: SafetensorsTensorInfo) throws(InteropError) -> [Float] {
        guard info.dtype.isReadable else { throw .unsupportedDType(path: path, tensor: info.name, dtype: info.dtype.rawValue) }
        let bytes = UnsafeRawBufferPointer(rebasing: mapping[(dataStart + info.byteRange.lowerBound)..<(dataStart + info.byteRange.upperBound)])
        let count = info.elementCount
        switch info.dtype {
        case .f32:
            #if _endian(little)
            return [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: bytes)
                initialized = count
            }
            #else
            return (0..<count).map { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
            #endif
        case .f64:
            return (0..<count).map { Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self)))) }
        case .f16:
            return (0..<count).map { HalfPrecision.float(fromHalf: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
        case .bf16:
            return (0..<count).map { HalfPrecision.float(fromBFloat16: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self))) }
        default:
            throw .unsupportedDType(path: path, tensor: info.name, dtype: info.dtype.rawValue)
        }
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
