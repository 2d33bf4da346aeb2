import CHDF5

/// Process-wide HDF5 set-up, done once before the first file is touched.
///
/// Untrusted files must not make HDF5 load shared libraries (filter plugins), and HDF5 must not
/// print its error stack to stderr: adaptool turns that stack into one message instead.
enum HDF5Library {
    /// Runs the process-wide set-up once (Swift initialises a global `let` lazily and atomically)
    /// and silences automatic error printing on the calling thread: in a thread-safe HDF5 build
    /// each thread has its own error stack and printing setting.
    static func ensureInitialized() {
        _ = setUp
        silenceThisThread()
    }

    /// Stops HDF5 printing its error stack on the calling thread (a thread-safe build keeps the
    /// setting per thread, and new threads start with printing on).
    static func silenceThisThread() {
        H5Eset_auto2(adaptool_H5E_DEFAULT(), nil, nil)
    }

    /// The newest datatype message version the linked HDF5 decodes: 3 in 1.10, 4 from 1.12 on.
    /// A newer one fails to decode, and a failed attribute decode crashes `H5Aiterate2` in 1.10.8,
    /// so ``HDF5HeaderCheck`` refuses it first.
    static let newestDatatypeVersion: UInt64 = {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        guard H5get_libversion(&major, &minor, &release) >= 0 else { return 3 }
        return (major, minor) >= (1, 12) ? 4 : 3
    }()

    private static let setUp: Bool = {
        // No clean-up at exit: a file whose close failed (disk full) stays half-open inside HDF5,
        // and its exit-time clean-up would close it again and crash (H5F__close_cb). Every file
        // adaptool opens is closed explicitly, so the exit-time pass has nothing else to do.
        H5dont_atexit()
        H5open()
        H5PLset_loading_state(0)
        return true
    }()
}
