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
        H5Eset_auto2(adaptool_H5E_DEFAULT(), nil, nil)
    }

    private static let setUp: Bool = {
        H5open()
        H5PLset_loading_state(0)
        return true
    }()
}
