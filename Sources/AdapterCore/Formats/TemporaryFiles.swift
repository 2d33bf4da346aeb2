import Foundation
import Synchronization

/// The temporary outputs being written right now, so an interrupt (Ctrl-C) can delete them
/// before the process exits: an interrupted command leaves no partial file behind. The library
/// installs no signal handler; a program (the adaptool CLI does) calls ``removeAll()`` from its own.
public enum TemporaryFiles {
    private static let paths = Mutex<Set<String>>([])

    static func register(_ path: String) { paths.withLock { _ = $0.insert(path) } }
    static func unregister(_ path: String) { paths.withLock { _ = $0.remove(path) } }

    /// Deletes every registered temporary output now.
    public static func removeAll() {
        let pending = paths.withLock { current in
            defer { current.removeAll() }
            return current
        }
        for path in pending { try? FileManager.default.removeItem(atPath: path) }
    }
}
