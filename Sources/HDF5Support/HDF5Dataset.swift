import CHDF5

/// How a float dataset is stored on disk.
package enum HDF5FloatPrecision: Sendable { case float32, float64 }

/// The element type of a dataset as adaptool sees it.
package enum HDF5ElementType: Equatable, Sendable, CustomStringConvertible {
    /// IEEE-style float of 16, 32 or 64 bits (any other width is `.other`).
    case float(bits: Int)
    /// Integer of the given width.
    case integer(bits: Int, signed: Bool)
    /// Fixed or variable-length string.
    case string
    /// Anything else (compound, enum, reference, …), by HDF5 class name.
    case other(String)

    /// `float32`, `int64`, `string`, …
    package var description: String {
        switch self {
        case .float(let bits): return "float\(bits)"
        case .integer(let bits, let signed): return "\(signed ? "int" : "uint")\(bits)"
        case .string: return "string"
        case .other(let name): return name
        }
    }

    /// Whether values can be read as float32 (widening or narrowing exactly as the spec allows).
    package var isSupportedFloat: Bool {
        if case .float(let bits) = self { return bits == 16 || bits == 32 || bits == 64 }
        return false
    }
}

/// How a dataset's bytes are laid out in the file.
package enum HDF5Layout: String, Sendable { case contiguous, chunked, compact, virtual, unknown }

/// A filter in a dataset's pipeline.
package struct HDF5Filter: Equatable, Sendable {
    /// HDF5's registered filter id (1 deflate, 2 shuffle, 3 fletcher32, …).
    package let id: Int
    /// The filter's name as stored in the file.
    package let name: String
    /// Deflate's level, when this is deflate.
    package let level: Int?

    /// Filters that HDF5 has built in and adaptool accepts; anything else would need a plugin.
    package static let builtInIDs: Set<Int> = [1, 2, 3]
}

/// The most elements adaptool will allocate for one dataset (4 GiB of float32): a bound on what a
/// hostile header can make us allocate.
package let hdf5MaxDatasetElements = 1 << 30

/// How much smaller than its data a filtered dataset may be stored: deflate's best case is about
/// 1032:1 (a run of zeros), shuffle and fletcher32 do not compress.
package let hdf5MaxCompressionRatio = 1032

/// A dataset in an open file.
package final class HDF5Dataset: HDF5AttributeHolder {
    let handle: HDF5Handle
    /// The dataset's absolute path inside the file.
    package let path: String
    /// The file the dataset belongs to.
    package let file: HDF5File

    init(id: hid_t, path: String, file: HDF5File) {
        self.handle = HDF5Handle(id, close: H5Dclose)
        self.path = path
        self.file = file
    }

    /// The raw identifier, for attribute access.
    package var objectID: hid_t { handle.id }
    private var context: String { "\(path) in \"\(file.path)\"" }

    /// The dataset's dimensions (empty for a scalar).
    package func shape() throws(HDF5Error) -> [Int] {
        let space = try HDF5Call.checkID(H5Dget_space(handle.id), "reading the shape of \(context)")
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0, rank <= 32 else { throw HDF5Error(operation: "reading the shape of \(context)", detail: HDF5Call.takeErrorStack()) }
        var dims = [hsize_t](repeating: 0, count: Int(rank))
        try HDF5Call.check(H5Sget_simple_extent_dims(space, &dims, nil), "reading the shape of \(context)")
        return try dims.map { (d: hsize_t) throws(HDF5Error) -> Int in
            guard d <= hsize_t(Int32.max) else {
                throw HDF5Error(operation: "reading the shape of \(context)", detail: "dimension \(d) is implausibly large")
            }
            return Int(d)
        }
    }

    /// The stored element type.
    package func elementType() throws(HDF5Error) -> HDF5ElementType {
        let type = try HDF5Call.checkID(H5Dget_type(handle.id), "reading the type of \(context)")
        defer { H5Tclose(type) }
        return HDF5TypeInfo.elementType(of: type)
    }

    /// Bytes the dataset occupies in the file (after compression).
    package func storedBytes() -> Int { Int(clamping: H5Dget_storage_size(handle.id)) }

    /// Layout, filters and whether the data lives in external files, from the creation property list.
    package func storage() throws(HDF5Error) -> (layout: HDF5Layout, filters: [HDF5Filter], hasExternalFiles: Bool) {
        let dcpl = try HDF5Call.checkID(H5Dget_create_plist(handle.id), "reading the storage of \(context)")
        defer { H5Pclose(dcpl) }
        let layout: HDF5Layout
        switch H5Pget_layout(dcpl) {
        case H5D_CONTIGUOUS: layout = .contiguous
        case H5D_CHUNKED: layout = .chunked
        case H5D_COMPACT: layout = .compact
        case H5D_VIRTUAL: layout = .virtual
        default: layout = .unknown
        }
        var filters: [HDF5Filter] = []
        let count = H5Pget_nfilters(dcpl)
        if count > 0 {
            for index in 0..<UInt32(count) {
                var flags: UInt32 = 0
                var valueCount = 8
                var values = [UInt32](repeating: 0, count: 8)
                var name = [CChar](repeating: 0, count: 256)
                var config: UInt32 = 0
                let id = H5Pget_filter2(dcpl, index, &flags, &valueCount, &values, name.count, &name, &config)
                if id < 0 { _ = HDF5Call.takeErrorStack(); continue }
                let level = id == 1 && valueCount > 0 ? Int(values[0]) : nil
                filters.append(HDF5Filter(id: Int(id), name: String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self), level: level))
            }
        }
        return (layout, filters, H5Pget_external_count(dcpl) > 0)
    }

    /// Checks that the data lives in this file and needs no plugin: no virtual or external storage,
    /// only HDF5's built-in deflate, shuffle and fletcher32 filters.
    package func validateStorage() throws(HDF5Error) {
        let (layout, filters, external) = try storage()
        if layout == .virtual { throw HDF5Error(operation: context, detail: "is a virtual dataset; adaptool refuses data stored in other files") }
        if layout == .unknown { throw HDF5Error(operation: context, detail: "has a storage layout adaptool does not know") }
        if external { throw HDF5Error(operation: context, detail: "uses external storage; adaptool refuses data stored in other files") }
        if let foreign = filters.first(where: { !HDF5Filter.builtInIDs.contains($0.id) }) {
            throw HDF5Error(operation: context, detail: "uses filter \(foreign.id) (\(foreign.name)); only deflate, shuffle and fletcher32 are supported (plugins are disabled)")
        }
    }

    /// Checks that reading this dataset is safe and supported: a float type, no virtual or
    /// external storage, only built-in filters, and a size under ``hdf5MaxDatasetElements``.
    /// Returns the element count.
    package func validateFloatReadable() throws(HDF5Error) -> Int {
        let type = try elementType()
        guard type.isSupportedFloat else {
            throw HDF5Error(operation: context, detail: "stored as \(type), expected float32 (float16 and float64 are read too)")
        }
        try validateStorage()
        let count = try shape().reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        guard count >= 0, count <= hdf5MaxDatasetElements else {
            throw HDF5Error(operation: context, detail: "holds \(count) elements, more than the \(hdf5MaxDatasetElements) adaptool accepts")
        }
        try validateStoredSize(elements: count)
        if let refusal = MemoryBudget.refusal(count: count, itemBytes: MemoryLayout<Float>.size, for: "reading it as float32") {
            throw HDF5Error(operation: context, detail: refusal)
        }
        return count
    }

    /// Checks the bytes the dataset declares (shape × element size) against the bytes the file
    /// really stores, so a 10 KB file cannot declare 4 GiB that was never written: contiguous and
    /// compact data must be stored whole, unfiltered chunks must cover the data, and filtered
    /// chunks may be smaller by at most ``hdf5MaxCompressionRatio``.
    package func validateStoredSize(elements: Int) throws(HDF5Error) {
        let type = try HDF5Call.checkID(H5Dget_type(handle.id), "reading the type of \(context)")
        let elementBytes = Int(H5Tget_size(type))
        H5Tclose(type)
        let (layout, filters, _) = try storage()
        let declared = elements.multipliedReportingOverflow(by: elementBytes)
        let stored = storedBytes()
        let ratio = filters.isEmpty ? 1 : hdf5MaxCompressionRatio
        let (covered, overflow) = stored.multipliedReportingOverflow(by: ratio)
        let fits = declared.overflow ? false : (layout == .chunked ? overflow || covered >= declared.partialValue : stored == declared.partialValue)
        guard fits else {
            let expected = layout == .chunked && !filters.isEmpty ? "at least 1/\(ratio) of that (deflate's limit)" : "all of it"
            throw HDF5Error(operation: context, detail: "declares \(declared.overflow ? Int.max : declared.partialValue) bytes (\(elements) elements of \(elementBytes) bytes) but the file stores \(stored) of them; expected \(expected) (the data was never written, or the file is damaged)")
        }
    }

    /// Reads the whole dataset as float32 (float16 and float64 are converted by HDF5).
    package func readFloats() throws(HDF5Error) -> [Float] {
        let count = try validateFloatReadable()
        var values = [Float](repeating: 0, count: count)
        if count == 0 { return values }
        let status = values.withUnsafeMutableBytes {
            H5Dread(handle.id, adaptool_H5T_NATIVE_FLOAT(), adaptool_H5S_ALL(), adaptool_H5S_ALL(), adaptool_H5P_DEFAULT(), $0.baseAddress)
        }
        try HDF5Call.check(status, "reading \(context)")
        return values
    }

    /// Reads rows `start ..< start + rowCount` of a 2-D (or 1-D) dataset into `buffer`.
    package func readRows(_ start: Int, count rowCount: Int, into buffer: UnsafeMutableBufferPointer<Float>) throws(HDF5Error) {
        _ = try validateFloatReadable()
        try transferRows(start, rowCount, bytes: UnsafeMutableRawPointer(buffer.baseAddress), elements: buffer.count, reading: true)
    }

    /// Writes `values` as the whole dataset (converted to the stored precision by HDF5).
    package func write(_ values: UnsafeBufferPointer<Float>) throws(HDF5Error) {
        try HDF5Call.check(H5Dwrite(handle.id, adaptool_H5T_NATIVE_FLOAT(), adaptool_H5S_ALL(), adaptool_H5S_ALL(), adaptool_H5P_DEFAULT(), values.baseAddress),
                           "writing \(context)")
    }

    /// Writes `values` into rows `start ..< start + rowCount`.
    package func writeRows(_ start: Int, count rowCount: Int, from values: UnsafeBufferPointer<Float>) throws(HDF5Error) {
        try transferRows(start, rowCount, bytes: UnsafeMutableRawPointer(mutating: values.baseAddress), elements: values.count, reading: false)
    }

    private func transferRows(_ start: Int, _ rowCount: Int, bytes: UnsafeMutableRawPointer?, elements: Int, reading: Bool) throws(HDF5Error) {
        let dims = try shape()
        let rowElements = dims.dropFirst().reduce(1, *)
        guard let rows = dims.first, start >= 0, rowCount >= 0, start + rowCount <= rows, elements >= rowCount * rowElements else {
            throw HDF5Error(operation: context, detail: "rows \(start)..<\(start + rowCount) out of range for shape \(dims)")
        }
        if rowCount == 0 { return }
        let operation = "\(reading ? "reading" : "writing") rows of \(context)"
        let fileSpace = try HDF5Call.checkID(H5Dget_space(handle.id), operation)
        defer { H5Sclose(fileSpace) }
        var offset = [hsize_t(start)] + dims.dropFirst().map { _ in hsize_t(0) }
        var count = [hsize_t(rowCount)] + dims.dropFirst().map { hsize_t($0) }
        try HDF5Call.check(H5Sselect_hyperslab(fileSpace, H5S_SELECT_SET, &offset, nil, &count, nil), operation)
        let memSpace = try HDF5Call.checkID(H5Screate_simple(Int32(count.count), &count, nil), operation)
        defer { H5Sclose(memSpace) }
        let status = reading
            ? H5Dread(handle.id, adaptool_H5T_NATIVE_FLOAT(), memSpace, fileSpace, adaptool_H5P_DEFAULT(), bytes)
            : H5Dwrite(handle.id, adaptool_H5T_NATIVE_FLOAT(), memSpace, fileSpace, adaptool_H5P_DEFAULT(), bytes)
        try HDF5Call.check(status, operation)
    }
}

/// Reading HDF5 type descriptions.
enum HDF5TypeInfo {
    static func elementType(of type: hid_t) -> HDF5ElementType {
        let size = Int(H5Tget_size(type))
        switch H5Tget_class(type) {
        case H5T_FLOAT: return [2, 4, 8].contains(size) ? .float(bits: size * 8) : .other("float\(size * 8)")
        case H5T_INTEGER: return .integer(bits: size * 8, signed: H5Tget_sign(type) != H5T_SGN_NONE)
        case H5T_STRING: return .string
        case H5T_COMPOUND: return .other("compound")
        case H5T_ENUM: return .other("enum")
        case H5T_ARRAY: return .other("array")
        case H5T_VLEN: return .other("vlen")
        case H5T_REFERENCE: return .other("reference")
        case H5T_OPAQUE: return .other("opaque")
        case H5T_BITFIELD: return .other("bitfield")
        default: return .other("unknown")
        }
    }
}
