import CHDF5

/// How a name in a group is linked. adaptool follows only hard links: soft and external links can
/// point anywhere, including into other files, so they are reported, never followed.
package enum HDF5LinkKind: String, Sendable {
    case hard, soft, external, other
}

/// What a hard link points at.
package enum HDF5ObjectKind: String, Sendable {
    case group, dataset, namedDatatype = "named datatype", other
}

/// A group in an open file.
package final class HDF5Group: HDF5AttributeHolder {
    let handle: HDF5Handle
    /// The group's absolute path inside the file, e.g. `/layers/fc1`.
    package let path: String
    /// The file the group belongs to (kept alive while the group is).
    package let file: HDF5File

    init(id: hid_t, path: String, file: HDF5File) {
        self.handle = HDF5Handle(id, close: H5Gclose)
        self.path = path
        self.file = file
    }

    /// The raw identifier, for attribute access.
    package var objectID: hid_t { handle.id }

    /// The absolute path of a child called `name`.
    package func childPath(_ name: String) -> String { path == "/" ? "/\(name)" : "\(path)/\(name)" }

    /// The names of the links in this group, in name order.
    package func childNames() throws(HDF5Error) -> [String] {
        try checkHeader()
        let names = HDF5NameCollector()
        let unmanaged = Unmanaged.passRetained(names)
        defer { unmanaged.release() }
        var index: hsize_t = 0
        try HDF5Call.check(H5Literate(handle.id, H5_INDEX_NAME, H5_ITER_INC, &index, { _, name, _, data in
            guard let name, let data else { return -1 }
            Unmanaged<HDF5NameCollector>.fromOpaque(data).takeUnretainedValue().list.append(String(cString: name))
            return 0
        }, unmanaged.toOpaque()), "listing \(path) in \"\(file.path)\"")
        return names.list
    }

    /// Whether a link called `name` exists in this group. False in a group that fails the header
    /// pre-check (HDF5 would look the name up in its damaged B-tree): the next checked access
    /// (its attributes, its links) reports why.
    package func contains(_ name: String) -> Bool {
        guard isValidLinkName(name), (try? checkHeader()) != nil else { return false }
        return H5Lexists(handle.id, name, adaptool_H5P_DEFAULT()) > 0
    }

    /// Whether a link called `name` exists, for an optional member whose absence changes what the
    /// file means (a checkpoint's `/files`): a damaged group or a failed lookup is an error here,
    /// never "absent".
    package func containsChecked(_ name: String) throws(HDF5Error) -> Bool {
        try checkHeader()
        return try HDF5Call.check(H5Lexists(handle.id, name, adaptool_H5P_DEFAULT()), "looking up \(childPath(name)) in \"\(file.path)\"") > 0
    }

    /// The kind of link `name` is.
    package func linkKind(of name: String) throws(HDF5Error) -> HDF5LinkKind {
        switch try linkInfo(name).type {
        case H5L_TYPE_HARD: return .hard
        case H5L_TYPE_SOFT: return .soft
        case H5L_TYPE_EXTERNAL: return .external
        default: return .other
        }
    }

    private func linkInfo(_ name: String) throws(HDF5Error) -> H5L_info_t {
        var info = H5L_info_t()
        try HDF5Call.check(H5Lget_info(handle.id, name, &info, adaptool_H5P_DEFAULT()),
                           "reading link \(childPath(name)) in \"\(file.path)\"")
        return info
    }

    /// The kind of object the hard link `name` points at; throws for any other link kind.
    package func objectKind(of name: String) throws(HDF5Error) -> HDF5ObjectKind {
        try requireHardLink(name)
        // Opening the object loads its header: check its chunks first (inputs only).
        if file.isReadOnly { try file.checkChunks(header: try linkInfo(name).u.address) }
        let id = H5Oopen(handle.id, name, adaptool_H5P_DEFAULT())
        if id < 0 { throw HDF5Error.opening(childPath(name), in: file.path, detail: HDF5Call.takeErrorStack()) }
        defer { H5Oclose(id) }
        switch H5Iget_type(id) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        case H5I_DATATYPE: return .namedDatatype
        default: return .other
        }
    }

    /// Opens the child group `name`, which must be a hard link to a group.
    package func openGroup(_ name: String) throws(HDF5Error) -> HDF5Group {
        HDF5Group(id: try openChild(name, kind: .group, opener: H5Gopen2), path: childPath(name), file: file)
    }

    /// Opens the child dataset `name`, which must be a hard link to a dataset.
    package func openDataset(_ name: String) throws(HDF5Error) -> HDF5Dataset {
        HDF5Dataset(id: try openChild(name, kind: .dataset, opener: H5Dopen2), path: childPath(name), file: file)
    }

    /// The identifier of child `name` opened with `opener`, after checking it is a `kind`.
    private func openChild(_ name: String, kind: HDF5ObjectKind,
                           opener: (hid_t, UnsafePointer<CChar>, hid_t) -> hid_t) throws(HDF5Error) -> hid_t {
        guard try objectKind(of: name) == kind else {
            throw HDF5Error(operation: "\(childPath(name)) in \"\(file.path)\"", detail: "expected a \(kind.rawValue)")
        }
        return try HDF5Call.checkID(opener(handle.id, name, adaptool_H5P_DEFAULT()), "opening \(kind.rawValue) \(childPath(name)) in \"\(file.path)\"")
    }

    /// Creates a child group.
    package func createGroup(_ name: String) throws(HDF5Error) -> HDF5Group {
        let id = try HDF5Call.checkID(
            H5Gcreate2(handle.id, name, adaptool_H5P_DEFAULT(), adaptool_H5P_DEFAULT(), adaptool_H5P_DEFAULT()),
            "creating group \(childPath(name)) in \"\(file.path)\"")
        return HDF5Group(id: id, path: childPath(name), file: file)
    }

    /// Creates a float dataset of `shape`, optionally chunked and deflate-compressed at `compressionLevel` (1–9).
    package func createDataset(
        _ name: String, shape: [Int], storedAs precision: HDF5FloatPrecision = .float32, compressionLevel: Int? = nil
    ) throws(HDF5Error) -> HDF5Dataset {
        let where_ = "creating dataset \(childPath(name)) in \"\(file.path)\""
        var dims = shape.map { hsize_t($0) }
        let space = try HDF5Call.checkID(H5Screate_simple(Int32(dims.count), &dims, nil), where_)
        defer { H5Sclose(space) }
        let dcpl = try HDF5Call.checkID(H5Pcreate(adaptool_H5P_DATASET_CREATE()), where_)
        defer { H5Pclose(dcpl) }
        if let level = compressionLevel, shape.allSatisfy({ $0 > 0 }) {
            var chunk = HDF5ChunkShape.rows(for: shape).map { hsize_t($0) }
            try HDF5Call.check(H5Pset_chunk(dcpl, Int32(chunk.count), &chunk), where_)
            try HDF5Call.check(H5Pset_shuffle(dcpl), where_)
            try HDF5Call.check(H5Pset_deflate(dcpl, UInt32(max(1, min(9, level)))), where_)
        }
        let fileType = precision == .float64 ? adaptool_H5T_IEEE_F64LE() : adaptool_H5T_IEEE_F32LE()
        let id = try HDF5Call.checkID(
            H5Dcreate2(handle.id, name, fileType, space, adaptool_H5P_DEFAULT(), dcpl, adaptool_H5P_DEFAULT()), where_)
        return HDF5Dataset(id: id, path: childPath(name), file: file)
    }

    /// Throws unless `name` is a hard link: soft and external links are refused, never followed.
    package func requireHardLink(_ name: String) throws(HDF5Error) {
        guard isValidLinkName(name) else {
            throw HDF5Error(operation: "\(childPath(name)) in \"\(file.path)\"", detail: "not a valid link name")
        }
        try checkHeader()
        guard H5Lexists(handle.id, name, adaptool_H5P_DEFAULT()) > 0 else {
            _ = HDF5Call.takeErrorStack()
            throw HDF5Error(operation: "\(childPath(name)) in \"\(file.path)\"", detail: "missing")
        }
        let kind = try linkKind(of: name)
        guard kind == .hard else {
            throw HDF5Error(operation: "\(childPath(name)) in \"\(file.path)\"",
                            detail: "is \(kind == .external ? "an" : "a") \(kind.rawValue) link; adaptool follows only hard links")
        }
    }

    /// A single path component: no separators, not `.` or empty (those would make HDF5 walk paths).
    private func isValidLinkName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && !name.contains("/")
    }
}

/// How chunked datasets are cut: whole rows, about 1 MiB per chunk, so a reader can stream by rows.
enum HDF5ChunkShape {
    static let targetChunkBytes = 1 << 20

    static func rows(for shape: [Int], elementBytes: Int = 4) -> [Int] {
        guard let first = shape.first else { return [] }
        let rowElements = shape.dropFirst().reduce(1, *)
        let rowsPerChunk = max(1, min(first, targetChunkBytes / max(1, elementBytes) / max(1, rowElements)))
        return [rowsPerChunk] + shape.dropFirst()
    }
}
