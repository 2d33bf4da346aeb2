import AdapterCore

extension SafetensorsFile: TensorReader {
    /// The tensor called `name`, if present and of a dtype ``TensorDType`` knows.
    public func info(named name: String) -> TensorInfo? { tensorEntry(name)?.info }

    /// The tensor's bytes exactly as stored, read with `pread`.
    public func rawBytes(of name: String) throws(InteropError) -> [UInt8] {
        guard let (info, offset) = tensorEntry(name) else {
            if let entry = self.info(name) { throw .unsupportedDType(path: path, tensor: name, dtype: entry.dtype.rawValue) }
            throw .missingTensor(path: path, tensor: name, expected: "it in the file")
        }
        if let refusal = MemoryBudget.refusal(count: info.elementCount, itemBytes: info.dtype.byteWidth, for: "tensor \"\(name)\"") {
            throw .format(.io(path: path, problem: refusal))
        }
        return try InteropError.wrapping { () throws(InputFileError) in try inputBytes(at: offset, count: info.byteCount) }
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
