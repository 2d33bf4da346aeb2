import AdapterCore
import AdapterTestSupport
import Foundation
import Testing

/// What the input-safety tests share: running the CLI so that a regression cannot hang or exhaust
/// the test run, writing fixtures with h5py, and the "one error line, nothing left behind" check.
enum InputTest {
    /// Seconds after which a CLI run is killed: a regression that blocks (on a FIFO, say) fails
    /// the test instead of hanging it.
    static let timeoutSeconds = "20"

    /// Address space the CLI may use in size tests (3 GB): an allocation derived from a hostile
    /// size fails here as it would on a small machine, instead of succeeding slowly on a big one.
    static let addressSpaceLimit = "--as=3000000000"

    /// Runs `adaptool arguments` under `timeout` (and `prlimit`, when `limitMemory`).
    static func adaptool(_ arguments: [String], limitMemory: Bool = false) throws -> ProcessResult {
        let command = (limitMemory ? ["/usr/bin/prlimit", addressSpaceLimit] : []) + [PackagePaths.adaptoolBinary] + arguments
        return underTimeout(try ExternalProcess.run("/usr/bin/timeout", [timeoutSeconds] + command))
    }

    /// `result` of `timeout`, which exits with 128 + N when its child was killed by signal N
    /// (and 124 when it timed out): the child's crash is a crash.
    static func underTimeout(_ result: ProcessResult) -> ProcessResult {
        var result = result
        result.crashed = result.crashed || (result.status > 128 && result.status != 124)
        return result
    }

    /// Runs a Python script (h5py, numpy) with `arguments`; fails the test when it fails.
    static func python(_ script: String, _ arguments: [String]) throws {
        let result = try ExternalProcess.python(["-c", script] + arguments)
        try #require(result.status == 0, "python failed: \(result.stderr)")
    }

    /// Python that defines `checkpoint(path, **h5py_file_options)`: an open h5py file with the
    /// root attributes of a one-layer checkpoint (fingerprint not matching any data).
    static let checkpointHeader = """
        import h5py, numpy as np, sys
        def checkpoint(path, names=("fc1",), **options):
            f = h5py.File(path, "w", **options)
            for key, value in [("format", "adaptool.checkpoint"), ("format_version", 1), ("architecture", "mlp"),
                               ("activation", "relu"), ("layer_names", list(names)), ("fingerprint", "0" * 64)]:
                f.attrs[key] = value
            return f

        """

    /// Asserts a failure reported as exactly one `adaptool: error:` line naming `file`, with exit
    /// `status`, no crash and no timeout.
    static func expectOneErrorLine(_ result: ProcessResult, naming file: String, status: Int32 = 1, containing text: String? = nil,
                                   sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!result.crashed, "crashed: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.status == status, "status \(result.status): \(result.stderr)", sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        #expect(lines.count == 1 && result.stderr.hasPrefix("adaptool: error: "), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(file), "does not name \(file): \(result.stderr)", sourceLocation: sourceLocation)
        if let text { #expect(result.stderr.contains(text), "\(result.stderr)", sourceLocation: sourceLocation) }
    }

    /// Hidden temporary files (`.NAME.tmp-*`) left in `folder`.
    static func leftovers(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") && $0.contains(".tmp-") }
    }
}
