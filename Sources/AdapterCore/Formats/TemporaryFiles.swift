import Foundation
import Synchronization

/// The temporary outputs being written right now, so an interrupt (Ctrl-C) can delete them
/// before the process exits: an interrupted command leaves no partial file behind.
public enum TemporaryFiles {
    private static let paths = Mutex<Set<String>>([])
    private static let interruptSources = Mutex<[DispatchSourceSignal]>([])

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

    /// Installs SIGINT and SIGTERM handlers that delete registered temporary outputs, then exit
    /// with 128 + the signal number, as a shell expects.
    public static func removeOnInterrupt() {
        interruptSources.withLock { sources in
            guard sources.isEmpty else { return }
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler {
                    removeAll()
                    FileHandle.standardError.write(Data("adaptool: interrupted; no output was written\n".utf8))
                    // _exit, not exit: worker threads may still be inside OpenBLAS, whose exit-time
                    // destructors would pull buffers from under them and crash the process.
                    _exit(128 + signalNumber)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
