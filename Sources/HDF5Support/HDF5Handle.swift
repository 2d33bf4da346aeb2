import CHDF5

/// Owns one HDF5 identifier and releases it with the matching close function when dropped.
package final class HDF5Handle {
    /// The raw identifier, valid for the handle's lifetime.
    package let id: hid_t
    private let closer: (hid_t) -> herr_t
    private(set) var isOpen = true

    /// Takes ownership of `id`, to be released with `close`.
    package init(_ id: hid_t, close: @escaping (hid_t) -> herr_t) {
        self.id = id
        self.closer = close
    }

    /// Releases the identifier now rather than when the handle is dropped.
    package func close() throws(HDF5Error) {
        guard isOpen else { return }
        isOpen = false
        try HDF5Call.check(closer(id), "closing an HDF5 object")
    }

    // An object inside a file closed with H5F_CLOSE_STRONG is already gone: skip it. The last
    // reference may drop on any thread, so that thread's error printing is switched off first
    // (closing a chunked dataset writes its cached chunks, which can fail on a full disk).
    deinit {
        guard isOpen else { return }
        HDF5Library.silenceThisThread()
        if H5Iis_valid(id) > 0, closer(id) < 0 { _ = HDF5Call.takeErrorStack() }
    }
}
