import Foundation

/// How an output file is written.
public struct WriteOptions: Sendable {
    /// Deflate level (1–9) for chunked, compressed datasets; nil writes contiguous, uncompressed data.
    public var compressionLevel: Int?
    /// Whether an existing file (or symbolic link) at the destination may be replaced; without it,
    /// writing throws ``FormatError/outputExists(path:)``. The CLI sets it with `--force`.
    public var overwrite: Bool

    /// Options for an uncompressed file that refuses to replace an existing one.
    public init(compressionLevel: Int? = nil, overwrite: Bool = false) {
        self.compressionLevel = compressionLevel
        self.overwrite = overwrite
    }
}

/// An output written under a temporary name in the destination's folder and renamed into place on
/// ``commit()``: readers see either the old file or the complete new one, never half of it. An
/// output that is dropped without being committed is deleted. The destination must obey
/// ``OutputDestination``: a folder is never replaced, with or without `overwrite`.
public final class AtomicOutput {
    /// Where the output will live once committed.
    public let destination: String
    /// Where it is being written meanwhile (same folder, hidden name within NAME_MAX).
    public let temporaryPath: String
    private let overwrite: Bool
    private var isCommitted = false

    /// Reserves a temporary path beside `destination`; fails if `destination` names a folder, or
    /// exists and `overwrite` is false (see ``OutputDestination/check(_:overwrite:)``).
    public init(destination: String, overwrite: Bool) throws(FormatError) {
        try OutputDestination.check(destination, overwrite: overwrite)
        self.destination = destination
        self.overwrite = overwrite
        self.temporaryPath = OutputDestination.temporaryPath(for: destination, name: try OutputDestination.fileName(of: destination))
        TemporaryFiles.register(temporaryPath)
    }

    /// Runs `body`, which writes the temporary file with HDF5; a failure names the destination
    /// rather than the hidden temporary file, which is deleted anyway.
    func writing<T>(_ body: () throws(HDF5Error) -> T) throws(FormatError) -> T {
        do { return try body() } catch {
            throw .hdf5(HDF5Error(operation: error.operation.replacingOccurrences(of: temporaryPath, with: destination),
                                  detail: error.detail.replacingOccurrences(of: temporaryPath, with: destination)))
        }
    }

    /// `message` about a file inside a temporary folder, with that file named relative to the
    /// destination (`adapter_model.safetensors: …`) rather than by its hidden temporary path.
    public func withinDestination(_ message: String) -> String {
        message.replacingOccurrences(of: temporaryPath + "/", with: "")
    }

    /// Moves the finished temporary file (or folder) into place.
    public func commit() throws(FormatError) {
        precondition(!isCommitted, "output committed twice")
        // Checked again: the destination may have changed while the output was written.
        try OutputDestination.requireReplaceable(destination, overwrite: overwrite)
        if OutputDestination.kind(of: temporaryPath) == .folder {
            try commitFolder()
        } else if overwrite {
            // rename(2) replaces a file or a symbolic link (the link itself, not its target) and
            // fails with EISDIR over a folder: a folder is never removed.
            guard rename(temporaryPath, destination) == 0 else { throw moveFailure(errno) }
        } else {
            // link(2) fails if the destination appeared meanwhile: no file is ever clobbered without `overwrite`.
            guard link(temporaryPath, destination) == 0 else { throw moveFailure(errno) }
            unlink(temporaryPath)
        }
        isCommitted = true
        TemporaryFiles.unregister(temporaryPath)
    }

    /// A folder output: rename(2) of a folder fails over a file (ENOTDIR) and over a non-empty
    /// folder (ENOTEMPTY), so only a file or link that `overwrite` allows is unlinked first (for
    /// that moment no output exists). An empty folder created meanwhile is replaced, losing nothing.
    private func commitFolder() throws(FormatError) {
        let existing = OutputDestination.kind(of: destination)
        if existing == .regularFile || existing == .symbolicLink, unlink(destination) != 0 { throw moveFailure(errno) }
        guard rename(temporaryPath, destination) == 0 else { throw moveFailure(errno) }
    }

    private func moveFailure(_ code: Int32) -> FormatError {
        switch code {
        case EEXIST, ENOTDIR: return .outputExists(path: destination)
        case EISDIR, ENOTEMPTY: return .outputIsFolder(path: destination)
        default: return .io(path: destination, problem: "could not move the finished output into place: \(String(cString: strerror(code)))")
        }
    }

    deinit {
        if !isCommitted {
            try? FileManager.default.removeItem(atPath: temporaryPath)
            TemporaryFiles.unregister(temporaryPath)
        }
    }
}
