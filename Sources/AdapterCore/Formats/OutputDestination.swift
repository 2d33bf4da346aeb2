import Foundation

/// The rules for where an output may be written, checked before any expensive work and again
/// when the finished output is moved into place.
///
/// A regular file or a symbolic link at the destination may be replaced with `overwrite`
/// (the CLI's `--force`); a symbolic link is replaced itself, never its target. A folder is never replaced,
/// nor a device, FIFO or socket, nor a path that names a folder (`d/`, `.`, `..`).
public enum OutputDestination {
    /// What is at a path, seen with lstat(2): a symbolic link is itself, not what it points to.
    enum Kind: Equatable {
        case missing, regularFile, symbolicLink, folder, special
    }

    /// The longest file name most file systems accept (Linux NAME_MAX): temporary names stay within it.
    static let maximumNameBytes = 255

    /// Throws unless `path` may receive an output: its folder exists, it names a file, and it is
    /// free (or, with `overwrite`, a regular file or symbolic link).
    public static func check(_ path: String, overwrite: Bool) throws(FormatError) {
        let name = try fileName(of: path)
        let folder = folder(of: path)
        var status = stat()
        guard stat(folder, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR else {
            throw .io(path: path, problem: "the folder \(folder) does not exist")
        }
        guard name.utf8.count <= maximumNameBytes else {
            throw .io(path: path, problem: "the file name is \(name.utf8.count) bytes long, more than the \(maximumNameBytes) a file system accepts")
        }
        try requireReplaceable(path, overwrite: overwrite)
    }

    /// Throws if something is at `path` that may not be replaced (anything without `overwrite`).
    static func requireReplaceable(_ path: String, overwrite: Bool) throws(FormatError) {
        switch kind(of: path) {
        case .missing: return
        case .folder: throw .outputIsFolder(path: path)
        case .special: throw .io(path: path, problem: "is a device, FIFO or socket, not a regular file; adaptool replaces only files")
        case .regularFile, .symbolicLink: if !overwrite { throw .outputExists(path: path) }
        }
    }

    /// The last component of `path`, refusing paths that name a folder rather than a file.
    static func fileName(of path: String) throws(FormatError) -> String {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last.map(String.init) ?? ""
        guard !name.isEmpty, name != ".", name != ".." else {
            throw .io(path: path, problem: "names a folder, expected a file name (adaptool never replaces a folder)")
        }
        return name
    }

    /// The folder holding `path` (`.` for a bare name).
    static func folder(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// What is at `path`, without following a final symbolic link.
    static func kind(of path: String) -> Kind {
        var status = stat()
        guard lstat(path, &status) == 0 else { return .missing }
        switch status.st_mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFLNK: return .symbolicLink
        case S_IFDIR: return .folder
        default: return .special
        }
    }

    /// A hidden temporary name beside `path`: `.NAME.tmp-RANDOM`, with NAME cut (on a UTF-8
    /// character boundary) so the whole name stays within ``maximumNameBytes``.
    static func temporaryPath(for path: String, name: String) -> String {
        let suffix = ".tmp-" + String(UInt64.random(in: 0...UInt64.max), radix: 16)
        let budget = maximumNameBytes - 1 - suffix.utf8.count
        var prefix = ""
        var used = 0
        for scalar in name.unicodeScalars {
            let size = String(scalar).utf8.count
            if used + size > budget { break }
            prefix.unicodeScalars.append(scalar)
            used += size
        }
        let folder = folder(of: path)
        let directory = path.contains("/") ? (folder == "/" ? "/" : folder + "/") : ""
        return directory + "." + prefix + suffix
    }
}
