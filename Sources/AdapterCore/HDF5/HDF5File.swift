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
        let check: HDF5HeaderCheck
        if let checker { check = checker } else { check = try HDF5HeaderCheck(file: self) }
        checker = check
        checkedObjects.insert(try check.checkHeader(of: objectID, skipping: checkedObjects))
    }

    /// Opens an existing file read-only. Files are never opened for writing once written.
    ///
    /// The path is opened by ``InputFile`` first (refusing a missing file, a folder, a FIFO, a
    /// device or a socket with one line, before anything could block in `open`); HDF5 then opens
    /// that descriptor's file through `/dev/fd/N`, so a path swapped in between is never read.
    package static func openReadOnly(_ path: String) throws(HDF5Error) -> HDF5File {
        let input: InputFile
        do { input = try InputFile(path: path, expected: "an HDF5 file") } catch { throw HDF5Error(error) }
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
    package static func create(_ path: String) throws(HDF5Error) -> HDF5File {
        HDF5Library.ensureInitialized()
        let fapl = try HDF5Call.checkID(H5Pcreate(adaptool_H5P_FILE_ACCESS()), "creating file access list")
        defer { H5Pclose(fapl) }
        try HDF5Call.check(H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG), "configuring file access")
        let id = try HDF5Call.checkID(
            H5Fcreate(path, adaptool_H5F_ACC_EXCL(), adaptool_H5P_DEFAULT(), fapl), "creating \"\(path)\"")
        return HDF5File(path: path, id: id, input: nil)
    }

    /// The root group `/`.
    package func rootGroup() throws(HDF5Error) -> HDF5Group {
        let id = try HDF5Call.checkID(H5Gopen2(handle.id, "/", adaptool_H5P_DEFAULT()), "opening / in \"\(path)\"")
        return HDF5Group(id: id, path: "/", file: self)
    }

    /// Flushes and closes the file now (and every object still open in it); later use fails.
    package func close() throws(HDF5Error) {
        try HDF5Call.check(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "writing \"\(path)\"")
        try handle.close()
    }

    /// Writes everything buffered to disk.
    package func flush() throws(HDF5Error) {
        try HDF5Call.check(H5Fflush(handle.id, H5F_SCOPE_GLOBAL), "flushing \"\(path)\"")
    }
}
