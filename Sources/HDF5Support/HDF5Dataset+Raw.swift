import CHDF5

/// Typed raw access for format v2 tensors: bytes move in the dataset's own type (little-endian),
/// never through float32. The v1 float paths (`readFloats`, `write(_:)`) are separate and unchanged.
extension HDF5Dataset {
    private var rawContext: String { "\(path) in \"\(file.path)\"" }

    /// The stored type as a raw type with its byte order, or nil when it is none of them (describe
    /// it with ``elementType()``).
    package func rawType() throws(HDF5Error) -> (type: HDF5RawType, isLittleEndian: Bool)? {
        let type = try HDF5Call.checkID(H5Dget_type(handle.id), "reading the type of \(rawContext)")
        defer { H5Tclose(type) }
        return HDF5RawType.identify(type)
    }

    /// Whether the dataspace is scalar (as opposed to simple, possibly with zero-length dimensions).
    package func isScalar() throws(HDF5Error) -> Bool {
        let space = try HDF5Call.checkID(H5Dget_space(handle.id), "reading the shape of \(rawContext)")
        defer { H5Sclose(space) }
        return H5Sget_simple_extent_type(space) == H5S_SCALAR
    }

    /// Reads the whole dataset into `buffer` as little-endian `type` (`buffer.count` must be the
    /// element count × the type's width). A big-endian dataset of the same type is byte-swapped by
    /// HDF5, which is exact; the caller has checked that the stored type is `type` (``rawType()``).
    package func readRaw(as type: HDF5RawType, into buffer: UnsafeMutableRawBufferPointer) throws(HDF5Error) {
        guard buffer.count > 0, let base = buffer.baseAddress else { return }
        let memoryType = try type.makeLittleEndianType()
        defer { H5Tclose(memoryType) }
        try HDF5Call.check(H5Dread(handle.id, memoryType, adaptool_H5S_ALL(), adaptool_H5S_ALL(), adaptool_H5P_DEFAULT(), base),
                           "reading \(rawContext)")
    }

    /// Writes `bytes` (little-endian `type`, the whole dataset) in slabs of whole rows of about
    /// ``rawSlabBytes`` (one huge write(2) is several times slower than many small ones on Linux);
    /// a chunked (compressed) dataset is written whole so no chunk is compressed twice.
    package func writeRaw(as type: HDF5RawType, from bytes: UnsafeRawBufferPointer) throws(HDF5Error) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        let memoryType = try type.makeLittleEndianType()
        defer { H5Tclose(memoryType) }
        let dims = try shape()
        let rowBytes = dims.dropFirst().reduce(type.byteWidth, *)
        let rowsPerSlab = max(1, Self.rawSlabBytes / max(1, rowBytes))
        guard let rows = dims.first, rows > rowsPerSlab, try storage().layout != .chunked else {
            try HDF5Call.check(H5Dwrite(handle.id, memoryType, adaptool_H5S_ALL(), adaptool_H5S_ALL(), adaptool_H5P_DEFAULT(), base),
                               "writing \(rawContext)")
            return
        }
        let operation = "writing \(rawContext)"
        let fileSpace = try HDF5Call.checkID(H5Dget_space(handle.id), operation)
        defer { H5Sclose(fileSpace) }
        for start in stride(from: 0, to: rows, by: rowsPerSlab) {
            let count = min(rowsPerSlab, rows - start)
            var offset = [hsize_t(start)] + dims.dropFirst().map { _ in hsize_t(0) }
            var extent = [hsize_t(count)] + dims.dropFirst().map { hsize_t($0) }
            try HDF5Call.check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &offset, nil, &extent, nil), operation)
            let memorySpace = try HDF5Call.checkID(H5Screate_simple(Int32(extent.count), &extent, nil), operation)
            defer { H5Sclose(memorySpace) }
            try HDF5Call.check(H5Dwrite(handle.id, memoryType, memorySpace, fileSpace, adaptool_H5P_DEFAULT(), base + start * rowBytes),
                               operation)
        }
    }

    /// About 1 MiB per write call (the v1 writer's measured sweet spot, Benchmarks/bench-merge.sh).
    static let rawSlabBytes = 1 << 20
}

extension HDF5Group {
    /// Creates a dataset of raw `type` and `shape` (`[]` makes a scalar dataspace; zero-length
    /// dimensions are allowed). With `compressionLevel` (1–9) and no zero-length dimension, it is
    /// chunked by whole rows (about 1 MiB a chunk) with shuffle + deflate; otherwise contiguous.
    /// `preallocated` (contiguous only) allocates the data's space in the file now, writing no
    /// fill values, so its offset is known (``HDF5Dataset/contiguousDataOffset()``) and the bytes can
    /// be written there directly, by any thread, without going through HDF5.
    package func createRawDataset(_ name: String, type: HDF5RawType, shape: [Int], compressionLevel: Int? = nil,
                                  preallocated: Bool = false) throws(HDF5Error) -> HDF5Dataset {
        let operation = "creating dataset \(childPath(name)) in \"\(file.path)\""
        guard shape.allSatisfy({ $0 >= 0 }) else { throw HDF5Error(operation: operation, detail: "shape \(shape) has a negative dimension") }
        var dims = shape.map { hsize_t($0) }
        let space = try HDF5Call.checkID(shape.isEmpty ? H5Screate(H5S_SCALAR) : H5Screate_simple(Int32(dims.count), &dims, nil), operation)
        defer { H5Sclose(space) }
        let dcpl = try HDF5Call.checkID(H5Pcreate(adaptool_H5P_DATASET_CREATE()), operation)
        defer { H5Pclose(dcpl) }
        if let level = compressionLevel, !shape.isEmpty, shape.allSatisfy({ $0 > 0 }) {
            var chunk = HDF5ChunkShape.rows(for: shape, elementBytes: type.byteWidth).map { hsize_t($0) }
            try HDF5Call.check(H5Pset_chunk(dcpl, Int32(chunk.count), &chunk), operation)
            try HDF5Call.check(H5Pset_shuffle(dcpl), operation)
            try HDF5Call.check(H5Pset_deflate(dcpl, UInt32(max(1, min(9, level)))), operation)
        } else if preallocated {
            try HDF5Call.check(H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY), operation)
            try HDF5Call.check(H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER), operation)
        }
        let fileType = try type.makeLittleEndianType()
        defer { H5Tclose(fileType) }
        let id = try HDF5Call.checkID(H5Dcreate2(handle.id, name, fileType, space, adaptool_H5P_DEFAULT(), dcpl, adaptool_H5P_DEFAULT()), operation)
        return HDF5Dataset(id: id, path: childPath(name), file: file)
    }
}

extension HDF5File {
    /// The size of an input file when it was opened (nil for a file being written): declared data
    /// sizes are checked against it before anything is allocated.
    package var inputSize: Int? { input?.size }
}
