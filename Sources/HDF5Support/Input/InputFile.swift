import Foundation

/// An input file opened for reading with `pread`: the one way adaptool opens what a user names.
///
/// The path is checked with `stat` before it is opened, so a FIFO, device or socket is refused
/// with one line instead of blocking for ever in `open`; it is then opened with `O_NONBLOCK` and
/// the descriptor checked again with `fstat`, which closes the window in which the path could be
/// swapped (libraries that open by name, such as HDF5, are given ``descriptorPath``). Data is read with `pread` into memory adaptool owns, never mapped: a mapped file that
/// another process truncates kills the reader with SIGBUS, while a short `pread` is one error line.
package final class InputFile {
    /// The path the file was opened at.
    package let path: String
    /// The size the file had when it was opened.
    package let size: Int
    let descriptor: Int32

    /// Opens `path` for reading; `expected` names what it should be (`an HDF5 file`) in errors.
    package init(path: String, expected: String) throws(InputFileError) {
        try Self.requireRegularFile(path, expected: expected)
        let descriptor = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw InputFileError(path: path, problem: "cannot be opened (\(String(cString: strerror(errno))))") }
        var status = stat()
        let problem = fstat(descriptor, &status) != 0
            ? "cannot be read (\(String(cString: strerror(errno))))"
            : Self.problem(with: status, expected: expected)
        if let problem {
            close(descriptor)
            throw InputFileError(path: path, problem: problem)
        }
        self.path = path
        self.descriptor = descriptor
        self.size = Int(status.st_size)
    }

    /// A path that opens this very file (not whatever the original path names now): for
    /// libraries that open by name, such as HDF5.
    package var descriptorPath: String { "/dev/fd/\(descriptor)" }

    deinit { close(descriptor) }

    /// Says plainly, before anything opens `path`, that it is missing, unreadable, a folder, or
    /// not a regular file (a FIFO, device or socket, which would block or never end).
    package static func requireRegularFile(_ path: String, expected: String) throws(InputFileError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw InputFileError(path: path, problem: errno == ENOENT ? "no such file" : String(cString: strerror(errno)))
        }
        if let problem = problem(with: status, expected: expected) { throw InputFileError(path: path, problem: problem) }
        guard access(path, R_OK) == 0 else { throw InputFileError(path: path, problem: "cannot be read (permission denied)") }
    }

    /// What is wrong with a file of this status, or nil for a regular file.
    private static func problem(with status: stat, expected: String) -> String? {
        switch status.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "is a folder, expected \(expected)"
        case S_IFIFO: return "is a FIFO (named pipe), not a regular file; expected \(expected)"
        case S_IFSOCK: return "is a socket, not a regular file; expected \(expected)"
        case S_IFCHR, S_IFBLK: return "is a device, not a regular file; expected \(expected)"
        default: return "is not a regular file; expected \(expected)"
        }
    }

    /// Fills `buffer` with the bytes at `offset`; a file that ends early (it shrank after it was
    /// opened) is one error line.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws(InputFileError) {
        var done = 0
        while done < buffer.count {
            let count = pread(descriptor, buffer.baseAddress.map { $0 + done }, buffer.count - done, off_t(offset + done))
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw InputFileError(path: path, problem: "cannot be read (\(String(cString: strerror(errno))))") }
            guard count > 0 else { throw InputFileError(path: path, problem: Self.shrankProblem) }
            done += count
        }
    }

    /// The `count` bytes at `offset`.
    package func bytes(at offset: Int, count: Int) throws(InputFileError) -> [UInt8] {
        try array(of: UInt8.self, count: count, at: offset)
    }

    /// `count` values of a trivial type read from the bytes at `offset` (not zero-filled first:
    /// every byte is read from the file, or the read fails).
    package func array<T: BitwiseCopyable>(of type: T.Type, count: Int, at offset: Int) throws(InputFileError) -> [T] {
        guard count > 0 else { return [] }
        var failure: InputFileError?
        let result = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            do throws(InputFileError) { try read(into: UnsafeMutableRawBufferPointer(buffer), at: offset) } catch { failure = error }
            initialized = count  // a trivial type: on failure the array is dropped unread
        }
        if let failure { throw failure }
        return result
    }

    /// The whole of a small file (a JSON config, a list of names), refused above `limit` bytes.
    package static func contents(of path: String, expected: String, limit: Int) throws(InputFileError) -> [UInt8] {
        let file = try InputFile(path: path, expected: expected)
        guard file.size <= limit else { throw InputFileError(path: path, problem: "is \(file.size) bytes; expected \(expected) of at most \(limit) bytes") }
        return try file.bytes(at: 0, count: file.size)
    }

    /// The message for a file that ended before the bytes its size promised.
    package static let shrankProblem = "file shrank while being read (was it changed by another program?)"
}
