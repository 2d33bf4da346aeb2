import CHDF5

/// One entry of a file's tree as `h5ls -r` would list it, without following soft or external links.
package struct HDF5TreeEntry {
    /// What the entry is.
    package enum Kind: Sendable, Equatable {
        case group
        case dataset
        case namedDatatype
        /// A soft link and the path it names.
        case softLink(target: String)
        /// An external link: the file and the path inside it.
        case externalLink(file: String, path: String)
        /// A user-defined link or an object HDF5 cannot classify.
        case other
        /// A hard link to a group already listed (HDF5 allows cycles).
        case repeatedGroup
    }

    /// The absolute path, e.g. `/data/images`.
    package var path: String
    /// The entry's kind.
    package var kind: Kind
    /// Open dataset, for summaries (only for `.dataset`).
    package var dataset: HDF5Dataset?
}

/// Walks the hard links of a file from a group, listing every link.
package enum HDF5Tree {
    /// At most this many entries are listed, so a hostile file (millions of links, deep cycles)
    /// cannot make `inspect` run for ever.
    package static let maxEntries = 10_000
    /// Deeper groups are not descended into.
    package static let maxDepth = 64

    /// The tree under `group` in depth-first name order; `isTruncated` says a limit was hit.
    package static func list(_ group: HDF5Group) throws(HDF5Error) -> (entries: [HDF5TreeEntry], isTruncated: Bool) {
        var entries: [HDF5TreeEntry] = []
        var visited: Set<haddr_t> = []
        let truncated = try walk(group, depth: 0, into: &entries, visited: &visited)
        return (entries, truncated)
    }

    private static func walk(_ group: HDF5Group, depth: Int, into entries: inout [HDF5TreeEntry], visited: inout Set<haddr_t>) throws(HDF5Error) -> Bool {
        for name in try group.childNames() {
            guard entries.count < maxEntries else { return true }
            let path = group.childPath(name)
            var info = H5L_info_t()
            try HDF5Call.check(H5Lget_info(group.handle.id, name, &info, adaptool_H5P_DEFAULT()), "reading link \(path) in \"\(group.file.path)\"")
            switch info.type {
            case H5L_TYPE_HARD:
                let kind = try group.objectKind(of: name)
                switch kind {
                case .group:
                    guard visited.insert(info.u.address).inserted else {
                        entries.append(HDF5TreeEntry(path: path, kind: .repeatedGroup))
                        continue
                    }
                    entries.append(HDF5TreeEntry(path: path, kind: .group))
                    if depth + 1 < maxDepth, try walk(try group.openGroup(name), depth: depth + 1, into: &entries, visited: &visited) {
                        return true
                    }
                case .dataset:
                    entries.append(HDF5TreeEntry(path: path, kind: .dataset, dataset: try group.openDataset(name)))
                case .namedDatatype:
                    entries.append(HDF5TreeEntry(path: path, kind: .namedDatatype))
                case .other:
                    entries.append(HDF5TreeEntry(path: path, kind: .other))
                }
            case H5L_TYPE_SOFT, H5L_TYPE_EXTERNAL:
                entries.append(HDF5TreeEntry(path: path, kind: try linkValue(group, name, size: info.u.val_size, isSoft: info.type == H5L_TYPE_SOFT)))
            default:
                entries.append(HDF5TreeEntry(path: path, kind: .other))
            }
        }
        return false
    }

    /// Reads where a soft or external link points, without following it.
    private static func linkValue(_ group: HDF5Group, _ name: String, size: Int, isSoft: Bool) throws(HDF5Error) -> HDF5TreeEntry.Kind {
        let operation = "reading link \(group.childPath(name)) in \"\(group.file.path)\""
        // Link values are short paths; a larger claimed size means a corrupt header.
        guard size > 0, size <= 1 << 16 else { throw HDF5Error(operation: operation, detail: "link value of \(size) bytes is not plausible") }
        var buffer = [UInt8](repeating: 0, count: size + 1)
        try HDF5Call.check(H5Lget_val(group.handle.id, name, &buffer, size, adaptool_H5P_DEFAULT()), operation)
        if isSoft { return .softLink(target: String(decoding: buffer.prefix { $0 != 0 }, as: UTF8.self)) }
        // The unpacked strings point into `buffer`: copy them while it is pinned.
        let unpacked = buffer.withUnsafeMutableBytes { bytes -> (file: String, path: String)? in
            var flags: UInt32 = 0
            var file: UnsafePointer<CChar>?
            var path: UnsafePointer<CChar>?
            guard H5Lunpack_elink_val(bytes.baseAddress, size, &flags, &file, &path) >= 0, let file, let path else { return nil }
            return (String(cString: file), String(cString: path))
        }
        guard let unpacked else { throw HDF5Error(operation: operation, detail: HDF5Call.takeErrorStack()) }
        return .externalLink(file: unpacked.file, path: unpacked.path)
    }
}
