extension TensorCheckpointFile {
    /// Where each tensor's bytes lie in the file (aligned with ``tensors``): the offset of a
    /// tensor stored as one contiguous, unfiltered, little-endian run inside the file, which
    /// ``readStoredBytes(into:at:)`` can read from several threads at once; nil for one to read
    /// through HDF5 (``readRawBytes(of:into:)``): compressed, big-endian, empty or not allocated.
    public func storedByteOffsets() throws(FormatError) -> [Int?] {
        let size = tensorsGroup.file.inputSize ?? 0
        return try stored.map { (dataset) throws(FormatError) -> Int? in
            try FormatError.wrapping { () throws(HDF5Error) -> Int? in
                let opened = try tensorsGroup.openDataset(dataset.linkName)
                guard dataset.info.byteCount > 0, try opened.rawType()?.isLittleEndian == true,
                      let offset = try opened.contiguousDataOffset(), offset <= size, dataset.info.byteCount <= size - offset else { return nil }
                return offset
            }
        }
    }

    /// Fills `buffer` with the file's bytes from `offset` (`pread`; safe from several threads).
    public func readStoredBytes(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(FormatError) {
        try FormatError.wrapping { () throws(HDF5Error) in try tensorsGroup.file.readInputBytes(into: buffer, at: offset) }
    }
}
