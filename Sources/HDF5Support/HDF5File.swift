import CHDF5
import Foundation

/// An open HDF5 file, read-only or freshly created.
package final class HDF5File {
    /// The path the file was opened or created at.
    package let path: String
    let handle: HDF5Handle

    /// Whether the file was opened read-only (an input, so untrusted).
    package let isReadOnly: Bool
    private var checker: HDF5HeaderCheck?
    private var checkedObjects: Set<haddr_t> = []

    /// The input's own descriptor (read-only files): the header pre-check reads through it.
    let input: InputFile?

    private init(path: String, id: hid_t, input: InputFile?) {
        self.path = path
        self.handle = HDF5Handle(id, close: H5Fclose)
        self.isReadOnly = input != nil
        self.input = input
    }

    /// Runs the header pre-check (``HDF5HeaderCheck``) on one object of this file, once.
    func checkHeader(of objectID: hid_t) throws(HDF5Error) {
        checkedObjects.insert(try headerCheck().checkHeader(of: objectID, skipping: checkedObjects))
    }

    /// Checks that the object header at `address` (of an object about to be opened) and its
    /// continuation chunks lie inside the file: HDF5 loads them when the object is opened.
    func checkChunks(header address: haddr_t) throws(HDF5Error) {
        guard !checkedObjects.contains(address) else { return }
        try headerCheck().checkChunks(header: UInt64(address))
    }

    private func headerCheck() throws(HDF5Error) -> HDF5HeaderCheck {
        if let checker { return checker }
        let check = try HDF5HeaderCheck(file: self)
        checker = check
        return check
    }

    /// Opens an existing file read-only. Files are never opened for writing once written.
    ///
    /// The path is opened by ``InputFile`` first (refusing a missing file, a folder, a FIFO, a
    /// device or a socket with one line, before anything could block in `open`); HDF5 then opens
    /// that descriptor's file through `/dev/fd/N`, so a path swapped in between is never read.
    package static func openReadOnly(_ path: String) throws(HDF5Error) -> HDF5File {
        let input: InputFile
        do { input = try InputFile(path: path, expected: "an HDF5 file") } catch { throw HDF5Error(error) }
        try HDF5HeaderCheck.checkRootGroup(of: input, path: path)
        HDF5Library.ensureInitialized()
        let fapl = try HDF5Call.checkID(H5Pcreate(adaptool_H5P_FILE_ACCESS()), "creating file access list")
        defer { H5Pclose(fapl) }
        // Strong close degree: closing the file closes everything opened in it, so nothing leaks.
        try HDF5Call.check(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "configuring file access")
        let id = try HDF5Call.checkID(
            H5Fopen(input.descriptorPath, adaptool_H5F_ACC_RDONLY(), fapl), "opening \"\(path)\" as HDF5")
        return HDF5File(path: path, id: id, input: input)
    }

    /// Creates a new file; fails if `path` already exists (callers write to a fresh temporary path).
    /// A created file is complete only after ``close()`` succeeds; one dropped before that is
    /// emptied and abandoned (see ``abandon()``), as its temporary path is about to be deleted.
    /// With `reservingBytes`, that much disk space is allocated up front, so a full disk is
    /// reported before anything is written (HDF5 trims the file to its real size on close).
    package static func create(_ path: String, reservingBytes: Int = 0) throws(HDF5Error) -> HDF5File {
        HDF5Library.ensureInitialized()
        let fapl = try HDF5Call.checkID(H5Pcreate(adaptool_H5P_FILE_ACCESS()), "creating file access list")
        defer { H5Pclose(fapl) }
        try HDF5Call.check(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "configuring file access")
        // No flock: outputs are fresh temporary files renamed into place, so nothing else opens
        // them meanwhile, and an exclusive lock on a descriptor that a child process inherited
        // (HDF5 opens without O_CLOEXEC) would refuse every reader of the finished file.
        try HDF5Call.check(H5Pset_file_locking(fapl, false, true), "configuring file access")
        // No data sieve buffer: import and export write tensor bytes with pwrite at the datasets'
        // offsets, outside HDF5, and a sieve buffer (which spans neighbouring datasets' bytes, up
        // to the end of the allocated space) filled before such a write and flushed after it would
        // put stale bytes back. Small raw writes then go straight to the file; large ones did anyway.
        try HDF5Call.check(H5Pset_sieve_buf_size(fapl, 0), "configuring file access")
        let id = try HDF5Call.checkID(
            H5Fcreate(path, adaptool_H5F_ACC_EXCL(), adaptool_H5P_DEFAULT(), fapl), "creating \"\(path)\"")
        let file = HDF5File(path: path, id: id, input: nil)
        // Programs started while the file is written must not inherit its descriptor.
        if let descriptor = file.descriptor() { _ = fcntl(descriptor, F_SETFD, fcntl(descriptor, F_GETFD) | FD_CLOEXEC) }
        if reservingBytes > 0, let descriptor = file.descriptor() {
            let code = posix_fallocate(descriptor, 0, off_t(reservingBytes))
            // EOPNOTSUPP / EINVAL: the file system cannot reserve; writes still report a full disk.
            if code != 0, code != EOPNOTSUPP, code != EINVAL {
                throw HDF5Error(operation: "writing \"\(path)\"", detail: "cannot reserve \(reservingBytes) bytes: \(String(cString: strerror(code)))")
            }
        }
        return file
    }

    /// The file's POSIX descriptor (the default sec2 driver), or nil if HDF5 does not give one.
    func descriptor() -> Int32? {
        HDF5Library.silenceThisThread()
        let fapl = H5Fget_access_plist(handle.id)
        guard fapl >= 0 else { _ = HDF5Call.takeErrorStack(); return nil }
        defer { H5Pclose(fapl) }
        var raw: UnsafeMutableRawPointer?
        guard H5Fget_vfd_handle(handle.id, fapl, &raw) >= 0, let raw else { _ = HDF5Call.takeErrorStack(); return nil }
        return raw.load(as: Int32.self)
    }

    /// Drops a new file that was not closed successfully (a write failed, or the writer gave up):
    /// its content is discarded first, which frees the disk space HDF5 needs to close it cleanly
    /// after a full disk. If even that close fails, HDF5 cannot close the file again safely (a
    /// second attempt crashes inside it), so the identifier is left alone until the process ends.
    private func abandon() {
        if let descriptor = descriptor() { _ = ftruncate(descriptor, 0) }
        do { try handle.close() } catch {}
    }

    deinit { if !isReadOnly, handle.isOpen { abandon() } }

    /// The root group `/`.
    package func rootGroup() throws(HDF5Error) -> HDF5Group {
        let id = try HDF5Call.checkID(H5Gopen2(handle.id, "/", adaptool_H5P_DEFAULT()), "opening / in \"\(path)\"")
        return HDF5Group(id: id, path: "/", file: self)
    }

    /// Flushes and closes the file now (and every object still open in it); later use fails.
    /// If the flush fails (a full disk), the file is left for ``abandon()``: HDF5 is never asked
    /// to close a file whose data it could not write.
    package func close() throws(HDF5Error) {
        try HDF5Call.check(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "writing \"\(path)\"")
        try handle.close()
    }

    /// Writes everything buffered to disk.
    package func flush() throws(HDF5Error) {
        try HDF5Call.check(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "flushing \"\(path)\"")
    }
}
