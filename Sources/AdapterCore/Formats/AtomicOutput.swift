import Foundation

/// How an output file is written.
public struct WriteOptions: Sendable {
    /// Deflate level (1–9) for chunked, compressed datasets; nil writes contiguous, uncompressed data.
    public var compressionLevel: Int?
    /// Whether an existing output may be replaced (`--force`).
    public var overwrite: Bool

    /// Options for an uncompressed file that refuses to replace an existing one.
    public init(compressionLevel: Int? = nil, overwrite: Bool = false) {
        self.compressionLevel = compressionLevel
        self.overwrite = overwrite
    }
}

/// An output written under a temporary name in the destination's folder and renamed into place on
/// ``commit()``: readers see either the old file or the complete new one, never half of it. An
/// output that is dropped without being committed is deleted.
public final class AtomicOutput {
    /// Where the output will live once committed.
    public let destination: String
    /// Where it is being written meanwhile (same folder, hidden name).
    public let temporaryPath: String
    private let overwrite: Bool
    private var isCommitted = false

    /// Reserves a temporary path beside `destination`; fails if `destination` exists and `overwrite` is false.
    public init(destination: String, overwrite: Bool) throws(FormatError) {
        let url = URL(fileURLWithPath: destination)
        let folder = url.deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else {
            throw .io(path: destination, problem: "the folder \(folder) does not exist")
        }
        if !overwrite, FileManager.default.fileExists(atPath: destination) { throw .outputExists(path: destination) }
        self.destination = destination
        self.overwrite = overwrite
        self.temporaryPath = "\(folder)/.\(url.lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        TemporaryFiles.register(temporaryPath)
    }

    /// Moves the finished temporary file (or folder) into place.
    public func commit() throws(FormatError) {
        precondition(!isCommitted, "output committed twice")
        if overwrite {
            if FileManager.default.fileExists(atPath: destination), isFolder(destination) {
                try? FileManager.default.removeItem(atPath: destination)
            }
            guard rename(temporaryPath, destination) == 0 else {
                throw .io(path: destination, problem: "could not move the finished output into place: \(String(cString: strerror(errno)))")
            }
        } else if isFolder(temporaryPath) {
            if FileManager.default.fileExists(atPath: destination) {
                throw .io(path: destination, problem: "appeared while writing; pass --force to replace it")
            }
            guard rename(temporaryPath, destination) == 0 else {
                throw .io(path: destination, problem: "could not move the finished output into place: \(String(cString: strerror(errno)))")
            }
        } else {
            // link(2) fails if the destination appeared meanwhile: no file is ever clobbered without --force.
            guard link(temporaryPath, destination) == 0 else {
                let reason = errno == EEXIST ? "appeared while writing; pass --force to replace it" : String(cString: strerror(errno))
                throw .io(path: destination, problem: reason)
            }
            unlink(temporaryPath)
        }
        isCommitted = true
        TemporaryFiles.unregister(temporaryPath)
    }

    private func isFolder(_ path: String) -> Bool {
        var flag: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &flag) && flag.boolValue
    }

    deinit {
        if !isCommitted {
            try? FileManager.default.removeItem(atPath: temporaryPath)
            TemporaryFiles.unregister(temporaryPath)
        }
    }
}
