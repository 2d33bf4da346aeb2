import CHDF5
import Foundation

/// An attribute value in the shapes the adaptool formats use.
package enum HDF5AttributeValue: Equatable, Sendable {
    case string(String)
    case strings([String])
    case integer(Int64)
    case integers([Int64])
    case double(Double)
    case doubles([Double])
    /// A type adaptool does not interpret, described for display (e.g. `enum`, `compound`).
    case unsupported(String)
}

/// Something that carries attributes: a group or a dataset.
package protocol HDF5AttributeHolder {
    /// The raw HDF5 identifier of the group or dataset.
    var objectID: hid_t { get }
    /// The object's path inside its file.
    var path: String { get }
    /// The file the object belongs to.
    var file: HDF5File { get }
}

/// The most elements one attribute may hold (attributes are metadata: small by nature).
private let maxAttributeElements = 1 << 20

/// The most bytes one attribute's value may take once read: 2^20 float64 values (8 MiB) fit, a
/// hostile 256 MiB attribute does not. Checked before the value is read, known name or not.
package let hdf5MaxAttributeBytes = 8 << 20

extension HDF5AttributeHolder {
    private func context(_ name: String) -> String { "attribute \"\(name)\" of \(path) in \"\(file.path)\"" }

    /// The names of this object's attributes, in name order.
    package func attributeNames() throws(HDF5Error) -> [String] {
        try checkHeader()
        let names = HDF5NameCollector()
        let unmanaged = Unmanaged.passRetained(names)
        defer { unmanaged.release() }
        var index: hsize_t = 0
        try HDF5Call.check(H5Aiterate2(objectID, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, data in
            guard let name, let data else { return -1 }
            Unmanaged<HDF5NameCollector>.fromOpaque(data).takeUnretainedValue().list.append(String(cString: name))
            return 0
        }, unmanaged.toOpaque()), "listing attributes of \(path) in \"\(file.path)\"")
        return names.list
    }

    /// Whether an attribute called `name` exists (in a file that passed ``checkHeader()``).
    package func hasAttribute(_ name: String) -> Bool { H5Aexists(objectID, name) > 0 }

    /// Checks this object's attribute messages before HDF5 decodes them (see ``HDF5HeaderCheck``);
    /// objects being written are trusted and skipped.
    package func checkHeader() throws(HDF5Error) {
        guard file.isReadOnly else { return }
        try file.checkHeader(of: objectID)
    }

    /// Reads attribute `name`, or returns nil when it does not exist.
    package func attribute(_ name: String) throws(HDF5Error) -> HDF5AttributeValue? {
        try checkHeader()
        guard hasAttribute(name) else { _ = HDF5Call.takeErrorStack(); return nil }
        let attr = try HDF5Call.checkID(H5Aopen(objectID, name, adaptool_H5P_DEFAULT()), "opening \(context(name))")
        defer { H5Aclose(attr) }
        let type = try HDF5Call.checkID(H5Aget_type(attr), "reading the type of \(context(name))")
        defer { H5Tclose(type) }
        let space = try HDF5Call.checkID(H5Aget_space(attr), "reading the shape of \(context(name))")
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        let count = H5Sget_simple_extent_npoints(space)
        // Before reading: the stored size, and the size of the value in memory (a fixed-length
        // type's width times the element count; variable-length strings were bounded by the header check).
        let stored = Int(clamping: H5Aget_storage_size(attr))
        let isFixedString = H5Tget_class(type) == H5T_STRING && H5Tis_variable_str(type) <= 0
        let inMemory = Int(clamping: count).multipliedReportingOverflow(by: isFixedString ? Int(H5Tget_size(type)) : 8)
        let bytes = inMemory.overflow ? Int.max : max(stored, inMemory.partialValue)
        guard bytes <= hdf5MaxAttributeBytes else {
            throw HDF5Error(operation: context(name), detail: "holds \(bytes) bytes, more than the \(hdf5MaxAttributeBytes) adaptool reads from one attribute")
        }
        guard rank >= 0, rank <= 1, count >= 0, count <= maxAttributeElements else {
            return .unsupported("array of rank \(rank)")
        }
        let n = Int(count)
        let isScalar = rank == 0
        switch HDF5TypeInfo.elementType(of: type) {
        case .string:
            let values = try readStrings(attr, fileType: type, count: n, context: context(name))
            if isScalar, let only = values.first { return .string(only) }
            return .strings(values)
        case .integer:
            var values = [Int64](repeating: 0, count: n)
            try HDF5Call.check(H5Aread(attr, adaptool_H5T_NATIVE_INT64(), &values), "reading \(context(name))")
            return isScalar && n == 1 ? .integer(values[0]) : .integers(values)
        case .float:
            var values = [Double](repeating: 0, count: n)
            try HDF5Call.check(H5Aread(attr, adaptool_H5T_NATIVE_DOUBLE(), &values), "reading \(context(name))")
            return isScalar && n == 1 ? .double(values[0]) : .doubles(values)
        case .other(let kind):
            return .unsupported(kind)
        }
    }

    private func readStrings(_ attr: hid_t, fileType: hid_t, count: Int, context: String) throws(HDF5Error) -> [String] {
        if count == 0 { return [] }
        let memType = try HDF5Call.checkID(H5Tcopy(adaptool_H5T_C_S1()), "reading \(context)")
        defer { H5Tclose(memType) }
        // HDF5 converts strings only between equal character sets: read ASCII (h5py's `np.bytes_`
        // and `S3` arrays) as ASCII and UTF-8 as UTF-8; the bytes are decoded as UTF-8 either way.
        let cset = H5Tget_cset(fileType)
        H5Tset_cset(memType, cset == H5T_CSET_ASCII ? H5T_CSET_ASCII : H5T_CSET_UTF8)
        if H5Tis_variable_str(fileType) > 0 {
            H5Tset_size(memType, adaptool_H5T_VARIABLE())
            var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
            try HDF5Call.check(H5Aread(attr, memType, &pointers), "reading \(context)")
            defer {
                let space = H5Aget_space(attr)
                H5Dvlen_reclaim(memType, space, adaptool_H5P_DEFAULT(), &pointers)
                H5Sclose(space)
            }
            return pointers.map { $0.map { String(cString: $0) } ?? "" }
        }
        let width = Int(H5Tget_size(fileType))
        guard width > 0, width <= 1 << 16 else { throw HDF5Error(operation: context, detail: "string width \(width) is not plausible") }
        H5Tset_size(memType, width)
        H5Tset_strpad(memType, H5T_STR_NULLPAD)
        var bytes = [UInt8](repeating: 0, count: width * count)
        try HDF5Call.check(H5Aread(attr, memType, &bytes), "reading \(context)")
        return (0..<count).map { index in
            let slice = bytes[index * width ..< (index + 1) * width]
            let trimmed = slice.prefix { $0 != 0 }
            var text = String(decoding: trimmed, as: UTF8.self)
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
    }

    /// Writes (creating or replacing) attribute `name`.
    package func setAttribute(_ name: String, _ value: HDF5AttributeValue) throws(HDF5Error) {
        let operation = "writing \(context(name))"
        if hasAttribute(name) { try HDF5Call.check(H5Adelete(objectID, name), operation) } else { _ = HDF5Call.takeErrorStack() }
        switch value {
        case .string(let text): try writeStrings(name, [text], scalar: true, operation: operation)
        case .strings(let texts): try writeStrings(name, texts, scalar: false, operation: operation)
        case .integer(let number): try writeNumbers(name, [number], scalar: true, fileType: adaptool_H5T_STD_I64LE(), memType: adaptool_H5T_NATIVE_INT64(), operation: operation)
        case .integers(let numbers): try writeNumbers(name, numbers, scalar: false, fileType: adaptool_H5T_STD_I64LE(), memType: adaptool_H5T_NATIVE_INT64(), operation: operation)
        case .double(let number): try writeNumbers(name, [number], scalar: true, fileType: adaptool_H5T_IEEE_F64LE(), memType: adaptool_H5T_NATIVE_DOUBLE(), operation: operation)
        case .doubles(let numbers): try writeNumbers(name, numbers, scalar: false, fileType: adaptool_H5T_IEEE_F64LE(), memType: adaptool_H5T_NATIVE_DOUBLE(), operation: operation)
        case .unsupported(let kind): throw HDF5Error(operation: operation, detail: "cannot write a value of kind \(kind)")
        }
    }

    private func makeSpace(count: Int, scalar: Bool, operation: String) throws(HDF5Error) -> hid_t {
        if scalar { return try HDF5Call.checkID(H5Screate(H5S_SCALAR), operation) }
        var dims = [hsize_t(count)]
        return try HDF5Call.checkID(H5Screate_simple(1, &dims, nil), operation)
    }

    private func writeNumbers<T>(_ name: String, _ values: [T], scalar: Bool, fileType: hid_t, memType: hid_t, operation: String) throws(HDF5Error) {
        let space = try makeSpace(count: values.count, scalar: scalar, operation: operation)
        defer { H5Sclose(space) }
        let attr = try HDF5Call.checkID(H5Acreate2(objectID, name, fileType, space, adaptool_H5P_DEFAULT(), adaptool_H5P_DEFAULT()), operation)
        defer { H5Aclose(attr) }
        let status = values.withUnsafeBytes { H5Awrite(attr, memType, $0.baseAddress) }
        try HDF5Call.check(status, operation)
    }

    private func writeStrings(_ name: String, _ values: [String], scalar: Bool, operation: String) throws(HDF5Error) {
        let type = try HDF5Call.checkID(H5Tcopy(adaptool_H5T_C_S1()), operation)
        defer { H5Tclose(type) }
        H5Tset_size(type, adaptool_H5T_VARIABLE())
        H5Tset_cset(type, H5T_CSET_UTF8)
        let space = try makeSpace(count: values.count, scalar: scalar, operation: operation)
        defer { H5Sclose(space) }
        let attr = try HDF5Call.checkID(H5Acreate2(objectID, name, type, space, adaptool_H5P_DEFAULT(), adaptool_H5P_DEFAULT()), operation)
        defer { H5Aclose(attr) }
        var cStrings = values.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        try HDF5Call.check(H5Awrite(attr, type, &cStrings), operation)
    }
}
