import AdapterKit
import ArgumentParser
import Foundation

/// A subcommand whose failures become one `adaptool: error: …` line on stderr and an exit code.
///
/// Subcommands implement ``execute()`` instead of `run()`; any error they throw (a ``FormatError``,
/// a math or training error, anything `CustomStringConvertible`) is reported the same way.
protocol AdaptoolCommand: ParsableCommand {
    /// The command's work.
    func execute() throws
    /// Exit code for a failure (diff(1)'s convention makes `diff` use 2).
    static var failureExitCode: Int32 { get }
}

extension AdaptoolCommand {
    static var failureExitCode: Int32 { 1 }

    func run() throws {
        InterruptHandler.install()
        // A file-size limit (ulimit -f) would kill the process with SIGXFSZ mid-write; ignored,
        // the write fails with EFBIG instead and is reported like a full disk.
        signal(SIGXFSZ, SIG_IGN)
        do {
            try execute()
        } catch let exit as ExitCode {
            throw exit
        } catch let error as CleanExit {
            throw error
        } catch let error as ValidationError {
            throw error
        } catch {
            Console.error(Console.wording(of: error))
            throw ExitCode(Self.failureExitCode)
        }
    }
}

/// Writing to the terminal.
enum Console {
    /// Prints `adaptool: error: message` to stderr, on one line whatever the message holds.
    static func error(_ message: String) {
        FileHandle.standardError.write(Data("adaptool: error: \(printable(message))\n".utf8))
    }

    /// The library's one-line message, plus the flag that would help where there is one: the
    /// library does not know about `--force`, the command line does.
    static func wording(of error: any Error) -> String {
        let text = String(describing: error)
        switch (error as? TensorMergeError)?.underlying ?? error {
        case FormatError.outputExists, InteropError.format(.outputExists): return text + "; pass --force to replace it"
        case MergeError.fingerprintMismatch: return text + "; pass --ignore-fingerprint if you are sure (every shape must still fit)"
        case TrainingError.missingFolder: return text + "; pass --data DIR or set CIFAR10_DIR"
        case InteropError.missingBase: return text + "; pass --base BASE"
        default: return text
        }
    }

    /// `text` with control characters (which a damaged file can smuggle into a name) shown as
    /// `\u{XX}` escapes, so an error stays one readable line and cannot drive the terminal.
    static func printable(_ text: String) -> String {
        var result = ""
        for scalar in text.unicodeScalars {
            if scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// Prints a line to stderr (progress, warnings), leaving stdout for results.
    static func note(_ message: String, terminator: String = "\n") {
        FileHandle.standardError.write(Data((message + terminator).utf8))
    }

    /// Prints a note that carries names or values read from a file (tensor, layer or file names)
    /// to stderr, control characters escaped as ``printable(_:)`` does.
    static func noteFromFile(_ message: String) { note(printable(message)) }

    /// Whether stderr is a terminal (live progress lines) or a file or pipe (one line per step).
    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
