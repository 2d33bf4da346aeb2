import AdapterKit
import AdapterTestSupport
import Foundation

/// Runs a README's shell blocks and samples top to bottom in one bash, in one scratch folder set up
/// as a fresh clone after `make release` and `make data` would leave it (README, Development).
struct ReadmeRun {
    /// `make` targets the doc test does not run as written, and why. Each is checked with `make -n
    /// MAKE=:` instead (the target exists and its recipe expands; `MAKE=:` because make runs
    /// recipe lines that call `$(MAKE)` even with -n); every other target runs for real.
    static let makeTargetsNotRun: [String: String] = [
        "demo": "trains base, LoRA and DoRA for minutes (its offline data choice is make test's demo-offline-check)",
        "test": "the doc test runs inside make test (recursion)",
        "fuzz": "10,000 fuzz cases take minutes; not part of make test",
        "bench": "the benchmarks take minutes",
        "release": "the doc test runs the binary under test (ADAPTOOL_BIN), already built",
        "build": "the doc test runs the binary under test (ADAPTOOL_BIN), already built",
        "deps": "installing packages needs root and a network",
        "clean": "would delete the build under test",
    ]
    /// Synthetic CIFAR-10 where `make data` puts the real one: enough for every README training
    /// command to finish in seconds, even in a debug build.
    static let trainImages = 200, testImages = 100
    /// Lines of stderr shown when a command fails (the failing command's own are the last ones).
    static let stderrLinesShown = 15

    /// How the run ended.
    struct Outcome {
        /// bash's exit status and output.
        var result: ProcessResult
        /// The README line, exit status and bash command of the first command that failed, if any.
        var failure: (line: Int, status: Int32, command: String)?
        /// Each sample's stdout lines followed by its stderr lines, by README line.
        var sampleOutputs: [Int: [String]]
    }

    /// The scratch folder the README runs in.
    let scratch: TemporaryDirectory
    /// Scripts, sample outputs and the failure record, outside the scratch folder.
    let tools: TemporaryDirectory

    /// Sets up the scratch folder: a copy of Fixtures (commands may write beside their inputs), the
    /// repository's Makefile and Benchmarks (symbolic links), `.build/release/adaptool` pointing at
    /// the binary under test, synthetic CIFAR-10 in data/cifar-10-batches-bin, and `home/`.
    init() throws {
        scratch = try TemporaryDirectory()
        tools = try TemporaryDirectory()
        let files = FileManager.default, root = PackagePaths.root
        try files.copyItem(atPath: PackagePaths.fixtures, toPath: scratch.file("Fixtures"))
        for name in ["Makefile", "Benchmarks"] {
            try files.createSymbolicLink(atPath: scratch.file(name), withDestinationPath: root + "/" + name)
        }
        try files.createDirectory(atPath: scratch.file(".build/release"), withIntermediateDirectories: true)
        try files.createSymbolicLink(atPath: scratch.file(".build/release/adaptool"), withDestinationPath: Self.binary)
        try files.createDirectory(atPath: scratch.file("data/cifar-10-batches-bin"), withIntermediateDirectories: true)
        try SyntheticCIFAR10.write(SyntheticCIFAR10.make(trainCount: Self.trainImages, testCount: Self.testImages, seed: 10),
                                   to: scratch.file("data/cifar-10-batches-bin"))
        try files.createDirectory(atPath: scratch.file("home"), withIntermediateDirectories: true)
        try files.createDirectory(atPath: tools.file("samples"), withIntermediateDirectories: true)
        try files.createDirectory(atPath: tools.file("bin"), withIntermediateDirectories: true)
        try files.createSymbolicLink(atPath: tools.file("bin/adaptool"), withDestinationPath: Self.binary)
    }

    /// The binary under test, as an absolute path.
    static var binary: String {
        let path = PackagePaths.adaptoolBinary
        return path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The driver: `set -euo pipefail`, an ERR trap that records the README line, the `make`
    /// wrapper (targets not run are dry-run; `make install` is checked by running the installed
    /// `adaptool --version`), then the README script sourced so `$LINENO` is a README line.
    var driver: String {
        let notRun = Self.makeTargetsNotRun.keys.sorted().joined(separator: "|")
        return """
        set -euo pipefail
        cd "$DOCTEST_SCRATCH"
        __doctest_failed() { printf '%s\\n%s\\n%s\\n' "$2" "$1" "$3" >"$DOCTEST_FAILURE"; exit "$1"; }
        trap '__doctest_failed $? $LINENO "$BASH_COMMAND"' ERR
        make() {
          local arg prefix="$PREFIX" destdir="" install=0
          for arg in "$@"; do
            case $arg in
              \(notRun)) command make --no-print-directory -n "$@" MAKE=: >/dev/null || return
                 echo "doc test: make $* checked with make -n, not run"; return ;;
              install) install=1 ;;
              PREFIX=*) prefix=${arg#PREFIX=} ;;
              DESTDIR=*) destdir=${arg#DESTDIR=} ;;
            esac
          done
          command make --no-print-directory "$@" || return
          if [ "$install" = 1 ]; then "$destdir$prefix/bin/adaptool" --version >/dev/null || return; fi
        }
        source "$DOCTEST_SCRIPT"

        """
    }

    /// Runs `document`'s shell blocks and samples in the scratch folder. `adaptool` is on PATH,
    /// HOME is `home/` and the PREFIX of a plain `make install` is `usr-local/` in the scratch folder.
    func run(_ document: ReadmeDocument) throws -> Outcome {
        let script = tools.file("readme.sh"), driverPath = tools.file("driver.sh"), failurePath = tools.file("failure")
        try document.script(sampleOutputs: tools.file("samples")).write(toFile: script, atomically: true, encoding: .utf8)
        try driver.write(toFile: driverPath, atomically: true, encoding: .utf8)
        // `adaptool` on PATH whatever the binary under test is called (tools/bin/adaptool links to it).
        let path = tools.file("bin") + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let result = try ExternalProcess.run("/bin/bash", ["--noprofile", "--norc", driverPath], environment: [
            "PATH": path, "HOME": scratch.file("home"), "PREFIX": scratch.file("usr-local"),
            "DOCTEST_SCRATCH": scratch.path, "DOCTEST_SCRIPT": script, "DOCTEST_FAILURE": failurePath,
            // Under `make test` these carry the outer make's flags and jobserver; the README's make is a fresh one.
            "MAKEFLAGS": "", "MFLAGS": "", "MAKELEVEL": "",
        ])
        var failure: (line: Int, status: Int32, command: String)?
        if let record = try? String(contentsOfFile: failurePath, encoding: .utf8) {
            let parts = record.split(separator: "\n", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
            if parts.count == 3, let line = Int(parts[0]), let status = Int32(parts[1]) {
                failure = (line, status, parts[2].trimmingCharacters(in: .newlines))
            }
        }
        var outputs: [Int: [String]] = [:]
        for sample in try document.samples() {
            let base = tools.file("samples/\(sample.line)")
            guard let out = try? String(contentsOfFile: base + ".out", encoding: .utf8),
                  let err = try? String(contentsOfFile: base + ".err", encoding: .utf8) else { continue }
            outputs[sample.line] = Self.lines(out) + Self.lines(err)
        }
        return Outcome(result: result, failure: failure, sampleOutputs: outputs)
    }

    /// `text` split into lines, without the final newline's empty line.
    static func lines(_ text: String) -> [String] {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// One message for a failed run: the README line and its text, the exit status, bash's
    /// command and the last lines of stderr.
    static func report(_ outcome: Outcome, readme: ReadmeDocument) -> String {
        let tail = lines(outcome.result.stderr).suffix(stderrLinesShown).joined(separator: "\n")
        guard let failure = outcome.failure else {
            return "README doc test: bash exited with status \(outcome.result.status) without a failing README line; stderr:\n\(tail)"
        }
        let text = readme.lines.indices.contains(failure.line - 1) ? readme.lines[failure.line - 1] : "?"
        return "README.md:\(failure.line): `\(text)` failed with exit status \(failure.status) (command: \(failure.command)); stderr:\n\(tail)"
    }
}
