import CHDF5

/// Where a contiguous dataset's bytes lie in its file, so that bulk copies (import, export) can
/// move them with `pread`/`pwrite`/`copy_file_range` on several threads at once, outside HDF5.
extension HDF5Dataset {
    /// The file offset of the dataset's bytes when they are one allocated, contiguous, unfiltered
    /// run stored in this file, in a file without a user block (so the offset HDF5 reports is the
    /// position in the file, whichever way a library version counts it); nil otherwise (chunked,
    /// compact, external or not yet allocated data: read those through HDF5).
    package func contiguousDataOffset() throws(HDF5Error) -> Int? {
        let (layout, filters, hasExternalFiles) = try storage()
        guard layout == .contiguous, filters.isEmpty, !hasExternalFiles, try file.userBlockBytes() == 0 else { return nil }
        HDF5Library.silenceThisThread()
        let offset = H5Dget_offset(handle.id)
        guard offset != haddr_t.max, offset <= haddr_t(Int.max) else { _ = HDF5Call.takeErrorStack(); return nil }
        return Int(offset)
    }
}

extension HDF5File {
    /// The size of the file's user block (bytes before the HDF5 superblock).
    package func userBlockBytes() throws(HDF5Error) -> Int {
        let operation = "reading the creation properties of \"\(path)\""
        let fcpl = try HDF5Call.checkID(H5Fget_create_plist(handle.id), operation)
        defer { H5Pclose(fcpl) }
        var size: hsize_t = 0
        try HDF5Call.check(H5Pget_userblock(fcpl, &size), operation)
        return Int(clamping: size)
    }

    /// The descriptor the bytes of this file are read or written through: the input's own for a
    /// file opened read-only, HDF5's (sec2 driver) for a created one; nil if HDF5 gives none.
    package var dataDescriptor: Int32? { input?.descriptor ?? descriptor() }
}

extension HDF5File {
    /// Reads the input file's bytes at `offset` into `buffer` with `pread` (safe from several
    /// threads at once; a file that shrank is one error line). Files being written have no input.
    package func readInputBytes(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(HDF5Error) {
        guard let input else { throw HDF5Error(operation: "reading \"\(path)\"", detail: "the file is being written, not read") }
        do { try input.read(into: buffer, at: offset) } catch { throw HDF5Error(error) }
    }
}
