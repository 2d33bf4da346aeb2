import AdapterCore

extension SafetensorsFile: RangedTensorReader {
    /// The tensor called `name`, if present and of a dtype ``TensorDType`` knows.
    public func info(named name: String) -> TensorInfo? { tensorEntry(name)?.info }

    /// The tensor's bytes exactly as stored, read with `pread`.
    public func rawBytes(of name: String) throws(InteropError) -> [UInt8] {
        let (info, offset) = try readableEntry(name)
        if let refusal = MemoryBudget.refusal(count: info.elementCount, itemBytes: info.dtype.byteWidth, for: "tensor \"\(name)\"") {
            throw .format(.io(path: path, problem: refusal))
        }
        return try InteropError.wrapping { () throws(InputFileError) in try inputBytes(at: offset, count: info.byteCount) }
    }

    /// Reads the tensor's bytes with `pread` straight into `buffer` (exactly its byte count).
    public func readRawBytes(of name: String, into buffer: UnsafeMutableRawBufferPointer) throws(InteropError) {
        let (info, offset) = try readableEntry(name)
        guard buffer.count == info.byteCount else {
            throw .badShape(path: path, tensor: name, shape: info.shape, expected: "a \(info.byteCount)-byte buffer, got \(buffer.count) bytes")
        }
        try InteropError.wrapping { () throws(InputFileError) in try readInput(into: buffer, at: offset) }
    }

    /// Reads the tensor's bytes from byte `offset` with `pread` into `buffer` (thread-safe).
    public func readRawBytes(of name: String, from offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(InteropError) {
        let (info, start) = try readableEntry(name)
        guard offset >= 0, buffer.count <= info.byteCount - offset else {
            throw .badShape(path: path, tensor: name, shape: info.shape, expected: "a read within its \(info.byteCount) bytes, got \(buffer.count) bytes from byte \(offset)")
        }
        try InteropError.wrapping { () throws(InputFileError) in try readInput(into: buffer, at: start + offset) }
    }

    /// The tensor `name` and where its bytes start, or the error for a missing or unreadable one.
    private func readableEntry(_ name: String) throws(InteropError) -> (info: TensorInfo, offset: Int) {
        guard let entry = tensorEntry(name) else {
            if let entry = self.info(name) { throw .unsupportedDType(path: path, tensor: name, dtype: entry.dtype.rawValue) }
            throw .missingTensor(path: path, tensor: name, expected: "it in the file")
        }
        return entry
    }

    /// The tensor's values widened to float64 (F32, F64, F16, BF16; exact).
    public func float64Values(of name: String) throws(InteropError) -> [Double] {
        let bytes = try rawBytes(of: name)
        guard let info = info(named: name), let values = info.dtype.float64Values(fromLittleEndian: bytes, count: info.elementCount) else {
            throw .unsupportedDType(path: path, tensor: name, dtype: info(named: name)?.dtype.safetensorsName ?? "unknown")
        }
        return values
    }
}
