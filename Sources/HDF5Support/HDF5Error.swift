import CHDF5

/// A failure reported by the HDF5 library or found while validating an HDF5 file, as one readable line.
public struct HDF5Error: Error, CustomStringConvertible, Equatable, Sendable {
    /// What adaptool was doing when the failure happened, e.g. `opening "base.h5"`.
    public let operation: String
    /// HDF5's own explanation, read from its error stack (outermost first, innermost last).
    public let detail: String

    /// Creates an error from an operation and a detail.
    public init(operation: String, detail: String) {
        self.operation = operation
        self.detail = detail
    }

    /// A file-system failure found before HDF5 was asked (same line: `path: problem`).
    package init(_ error: InputFileError) {
        self.init(operation: error.path, detail: error.problem)
    }

    /// `operation: detail`, suitable for a single error line.
    public var description: String {
        detail.isEmpty ? operation : "\(operation): \(detail)"
    }
}

extension HDF5Error {
    /// HDF5 1.10's complaint about a dataset layout message it does not know, which is what a
    /// dataset written with HDF5 2.0's newest format (h5py `libver="latest"`, chunked and filtered) gives.
    static let newerLayoutDetail = "bad version number for layout message"

    /// The h5py settings that write files libhdf5 1.10 reads (spec/format.md §1.1).
    static let readableH5pySettings = "h5py.File(..., libver=(\"earliest\", \"v114\")) (or h5py's default libver)"

    /// Opening object `object` of `file` failed with HDF5's `detail`; a layout written by a newer
    /// HDF5 is explained, with the h5py settings that write a readable file.
    static func opening(_ object: String, in file: String, detail: String) -> HDF5Error {
        guard detail.contains(newerLayoutDetail) else { return HDF5Error(operation: "opening \(object) in \"\(file)\"", detail: detail) }
        return HDF5Error(operation: "\(object) in \"\(file)\"",
                         detail: "written with a newer HDF5 file-format version (HDF5 2.0, libver=\"latest\") than libhdf5 1.10 reads; write it with \(readableH5pySettings)")
    }
}

/// The one funnel through which every HDF5 return code passes.
enum HDF5Call {
    /// Runs the HDF5 call `status` and throws an ``HDF5Error`` carrying HDF5's error stack when it
    /// returns a negative value. The call runs after this thread's automatic error printing is
    /// switched off: writes run on worker threads, and each thread has its own setting.
    @discardableResult
    static func check(_ status: @autoclosure () -> herr_t, _ operation: @autoclosure () -> String) throws(HDF5Error) -> herr_t {
        HDF5Library.silenceThisThread()
        let result = status()
        if result < 0 { throw HDF5Error(operation: operation(), detail: takeErrorStack()) }
        return result
    }

    /// Runs the HDF5 call `id` and throws when it returns a negative identifier (HDF5's way of
    /// signalling a failed open or create); returns it otherwise.
    static func checkID(_ id: @autoclosure () -> hid_t, _ operation: @autoclosure () -> String) throws(HDF5Error) -> hid_t {
        HDF5Library.silenceThisThread()
        let result = id()
        if result < 0 { throw HDF5Error(operation: operation(), detail: takeErrorStack()) }
        return result
    }

    /// Reads the calling thread's HDF5 error stack into one line and clears it.
    static func takeErrorStack() -> String {
        let collector = HDF5NameCollector()
        let unmanaged = Unmanaged.passRetained(collector)
        defer { unmanaged.release() }
        _ = H5Ewalk2(adaptool_H5E_DEFAULT(), H5E_WALK_DOWNWARD, { _, entry, clientData in
            guard let entry, let clientData, let desc = entry.pointee.desc else { return 0 }
            let collector = Unmanaged<HDF5NameCollector>.fromOpaque(clientData).takeUnretainedValue()
            let text = String(cString: desc).trimmingCharacters(in: .whitespaces)
            if !text.isEmpty, collector.list.last != text { collector.list.append(text) }
            return 0
        }, unmanaged.toOpaque())
        H5Eclear2(adaptool_H5E_DEFAULT())
        // The outermost message says what failed, the innermost says why; the middle is noise.
        guard let outer = collector.list.first, let inner = collector.list.last.map(systemReason) else { return "" }
        return outer == inner ? outer : "\(outer) (\(inner))"
    }

    /// HDF5's file driver wraps errno's text in a long message (time, descriptor, buffer address,
    /// byte counts); the text alone, e.g. "No space left on device", is what a user needs.
    static func systemReason(_ message: String) -> String {
        guard let start = message.range(of: "error message = '"),
              let end = message[start.upperBound...].firstIndex(of: "'") else { return message }
        return String(message[start.upperBound..<end])
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        var slice = Substring(self)
        while let first = slice.first, set.contains(first) { slice.removeFirst() }
        while let last = slice.last, set.contains(last) { slice.removeLast() }
        return String(slice)
    }
}

extension Set where Element == Character {
    fileprivate static let whitespaces: Set<Character> = [" ", "\t", "\n", "\r"]
}

/// Collects strings from HDF5's C callbacks (link names, attribute names, error messages).
final class HDF5NameCollector {
    var list: [String] = []
}
