import AdapterKit
import Foundation
import Synchronization

/// Ctrl-C and `kill`: the temporary outputs being written (the library's ``TemporaryFiles``
/// registry) are deleted before the process exits, so an interrupted command leaves no partial file.
enum InterruptHandler {
    private static let sources = Mutex<[DispatchSourceSignal]>([])

    /// Installs SIGINT and SIGTERM handlers that delete registered temporary outputs, then exit
    /// with 128 + the signal number, as a shell expects. Installing twice is harmless.
    static func install() {
        sources.withLock { sources in
            guard sources.isEmpty else { return }
            for signalNumber in [SIGINT, SIGTERM] {
                signal(signalNumber, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
                source.setEventHandler {
                    TemporaryFiles.removeAll()
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
