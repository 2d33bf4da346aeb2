import AdapterCore
import Foundation

/// Writes a safetensors file: the header (`__metadata__` first, then the tensors in data order,
/// padded with spaces to a multiple of 8 bytes as the reference writer does) is laid out from the
/// declared tensors up front, then each tensor's bytes are written at its offset as it arrives, in
/// any order, so only one tensor need be in memory. The file appears at its destination on
/// ``finish()``.
public final class SafetensorsWriter {
    /// A tensor to be written from float32 values: its name, stored dtype (F32, F16 or BF16) and shape.
    public struct Entry: Sendable {
        /// The tensor's name.
        public var name: String
        /// The dtype stored in the file (values are given as float32 and narrowed).
        public var dtype: SafetensorsDType
        /// The shape.
        public var shape: [Int]

        /// Declares a tensor.
        public init(name: String, dtype: SafetensorsDType = .f32, shape: [Int]) {
            self.name = name
            self.dtype = dtype
            self.shape = shape
        }
    }

    private let output: AtomicOutput
    private let handle: FileHandle
    private let layout: [String: (info: TensorInfo, offset: Int)]
    private let dataStart: Int
    private var pending: Set<String>

    /// Creates the temporary file and writes the header for `entries`, stored in name order.
    public convenience init(path: String, entries: [Entry], metadata: [String: String] = [:], options: WriteOptions = WriteOptions()) throws(InteropError) {
        var tensors: [TensorInfo] = []
        for entry in entries.sorted(by: { $0.name < $1.name }) {
            guard entry.dtype.isWritable, let dtype = TensorDType(safetensorsName: entry.dtype.rawValue),
                  let info = TensorInfo(name: entry.name, dtype: dtype, shape: entry.shape) else {
                throw .malformedSafetensors(path: path, problem: "cannot write tensor \"\(entry.name)\" as \(entry.dtype.rawValue) \(entry.shape); adaptool writes F32, F16 or BF16")
            }
            tensors.append(info)
        }
        try self.init(path: path, tensors: tensors, metadata: metadata, options: options)
    }

    /// Creates the temporary file and writes the header for `tensors`, whose data is stored in the
    /// order given (a copy of another file keeps that file's order). Any ``TensorDType`` may be
    /// written as raw bytes (``write(_:bytes:digest:)``).
    public init(path: String, tensors: [TensorInfo], metadata: [String: String] = [:], options: WriteOptions = WriteOptions()) throws(InteropError) {
        let names = tensors.map(\.name)
        guard Set(names).count == names.count, !names.contains("__metadata__") else {
            throw .malformedSafetensors(path: path, problem: "tensor names must be unique and not \"__metadata__\"")
        }
        var members: [(key: String, value: JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })))
        }
        var layout: [String: (info: TensorInfo, offset: Int)] = [:]
        var offset = 0
        for info in tensors {
            members.append((info.name, .object([
                ("dtype", .string(info.dtype.safetensorsName)),
                ("shape", .array(info.shape.map { .number(Double($0)) })),
                ("data_offsets", .array([.number(Double(offset)), .number(Double(offset + info.byteCount))])),
            ])))
            layout[info.name] = (info, offset)
            offset += info.byteCount
        }
        var header = Array(JSONValue.object(members).serialized.utf8)
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: (8 - header.count % 8) % 8))
        let output = try InteropError.wrapping { () throws(FormatError) in try AtomicOutput(destination: path, overwrite: options.overwrite) }
        guard FileManager.default.createFile(atPath: output.temporaryPath, contents: nil),
              let handle = FileHandle(forWritingAtPath: output.temporaryPath) else {
            throw .format(.io(path: path, problem: "cannot create \(output.temporaryPath)"))
        }
        self.output = output
        self.handle = handle
        self.layout = layout
        self.dataStart = 8 + header.count
        self.pending = Set(names)
        var prefix = withUnsafeBytes(of: UInt64(header.count).littleEndian) { Array($0) }
        prefix.append(contentsOf: header)
        try perform("write the header") { try handle.write(contentsOf: prefix) }
        try reserve(bytes: dataStart + offset)
    }

    /// The declared tensor `name` and its offset, if it is still to be written.
    private func slot(_ name: String) throws(InteropError) -> (info: TensorInfo, offset: Int) {
        guard let slot = layout[name], pending.contains(name) else {
            throw .malformedSafetensors(path: output.destination, problem: "tensor \"\(name)\" was not declared or was already written")
        }
        return slot
    }

    /// Writes tensor `name` (declared as F32, F16 or BF16) from float32 `values` in row-major order.
    public func write(_ name: String, values: [Float]) throws(InteropError) {
        let (info, offset) = try slot(name)
        guard values.count == info.elementCount else {
            throw .badShape(path: output.destination, tensor: name, shape: [values.count], expected: "\(info.shape) (\(info.elementCount) values)")
        }
        let position = dataStart + offset
        let written: String?
        switch info.dtype {
        case .float16: written = values.map { HalfPrecision.half(from: $0).littleEndian }.withUnsafeBytes { writeAll($0, at: position) }
        case .bfloat16: written = values.map { HalfPrecision.bfloat16(from: $0).littleEndian }.withUnsafeBytes { writeAll($0, at: position) }
        case .float32:
            #if _endian(little)
            written = values.withUnsafeBytes { writeAll($0, at: position) }
            #else
            written = values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { writeAll($0, at: position) }
            #endif
        default:
            throw .malformedSafetensors(path: output.destination, problem: "tensor \"\(name)\" is declared \(info.dtype.safetensorsName); float32 values are written as F32, F16 or BF16 only")
        }
        try check(written, tensor: name)
        pending.remove(name)
    }

    private func check(_ problem: String?, tensor name: String) throws(InteropError) {
        if let problem { throw .format(.io(path: output.destination, problem: "cannot write tensor \"\(name)\": \(problem)")) }
    }

    /// Checks every tensor was written, closes the file and moves it into place.
    public func finish() throws(InteropError) {
        if let missing = pending.sorted().first {
            throw .missingTensor(path: output.destination, tensor: missing, expected: "every declared tensor to be written")
        }
        try perform("close the file") { try handle.close() }
        try InteropError.wrapping { () throws(FormatError) in try output.commit() }
    }

    /// Allocates the whole file up front, so a full disk is one early error rather than a failure
    /// halfway; where the file system cannot reserve space, the file is just extended (sparse).
    private func reserve(bytes: Int) throws(InteropError) {
        let code = posix_fallocate(handle.fileDescriptor, 0, off_t(bytes))
        if code == EOPNOTSUPP || code == EINVAL {
            try perform("extend the file to \(bytes) bytes") { try handle.truncate(atOffset: UInt64(bytes)) }
        } else if code != 0 {
            throw .format(.io(path: output.destination, problem: "cannot reserve \(bytes) bytes: \(String(cString: strerror(code)))"))
        }
    }

    private func perform(_ action: String, _ body: () throws -> Void) throws(InteropError) {
        do { try body() } catch { throw .format(.io(path: output.destination, problem: "cannot \(action): \(error.localizedDescription)")) }
    }

    /// pwrite(2) of every byte of `bytes` at `offset`; nil, or what went wrong.
    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> String? {
        PositionedWrite.write(bytes, to: handle.fileDescriptor, at: offset)
    }
}

extension SafetensorsWriter: TensorWriter {
    /// Writes one declared tensor from its raw little-endian bytes, unchanged (the digest is not
    /// stored: safetensors has no place for it).
    public func write(_ info: TensorInfo, bytes: UnsafeRawBufferPointer, digest: String?) throws(InteropError) {
        let (declared, offset) = try slot(info.name)
        guard info == declared, bytes.count == declared.byteCount else {
            throw .badShape(path: output.destination, tensor: info.name, shape: info.shape,
                            expected: "\(declared.dtype.safetensorsName) \(declared.shape) (\(declared.byteCount) bytes) as declared, got \(info.dtype.safetensorsName) and \(bytes.count) bytes")
        }
        try check(writeAll(bytes, at: dataStart + offset), tensor: info.name)
        pending.remove(info.name)
    }
}

extension SafetensorsWriter: PlacedTensorWriter {
    /// The destination, named in errors.
    public var destination: String { output.destination }

    /// Claims declared tensor `info`'s bytes: the file descriptor and offset to `pwrite` them at.
    public func place(_ info: TensorInfo) throws(InteropError) -> (descriptor: Int32, offset: Int) {
        let (declared, offset) = try slot(info.name)
        guard info == declared else {
            throw .badShape(path: output.destination, tensor: info.name, shape: info.shape,
                            expected: "\(declared.dtype.safetensorsName) \(declared.shape) as declared, got \(info.dtype.safetensorsName)")
        }
        pending.remove(info.name)
        return (handle.fileDescriptor, dataStart + offset)
    }
}

extension SafetensorsWriter {
    /// Writes `tensors` (name, shape, float32 values) to `path` in one go, stored as `dtype`.
    public static func write(_ tensors: [(name: String, shape: [Int], values: [Float])], metadata: [String: String] = [:],
                             dtype: SafetensorsDType = .f32, to path: String, options: WriteOptions = WriteOptions()) throws(InteropError) {
        let writer = try SafetensorsWriter(path: path, entries: tensors.map { Entry(name: $0.name, dtype: dtype, shape: $0.shape) },
                                           metadata: metadata, options: options)
        for tensor in tensors { try writer.write(tensor.name, values: tensor.values) }
        try writer.finish()
    }
}
