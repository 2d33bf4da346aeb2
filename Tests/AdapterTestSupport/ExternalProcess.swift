import Foundation

/// What a finished child process printed and how it ended.
public struct ProcessResult: Sendable {
    /// Exit status (or 128 + signal when killed by a signal).
    public var status: Int32
    /// Whether the process died from a signal (a crash), rather than exiting.
    public var crashed: Bool
    /// Everything written to stdout.
    public var stdout: String
    /// Everything written to stderr.
    public var stderr: String

    /// A result from its parts (for tests that run a process their own way).
    public init(status: Int32, crashed: Bool, stdout: String, stderr: String) {
        (self.status, self.crashed, self.stdout, self.stderr) = (status, crashed, stdout, stderr)
    }
}

/// Paths of the package under test, found from this source file's location.
public enum PackagePaths {
    /// The package root (the folder holding Package.swift).
    public static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// `Fixtures/` in the package.
    public static var fixtures: String { root + "/Fixtures" }

    /// The adaptool binary: `ADAPTOOL_BIN` when set (make test sets it), else the debug build.
    public static var adaptoolBinary: String {
        ProcessInfo.processInfo.environment["ADAPTOOL_BIN"] ?? root + "/.build/debug/adaptool"
    }

    /// The CIFAR-10 folder from `CIFAR10_DIR`, when it is set and exists.
    public static var cifar10Directory: String? {
        guard let dir = ProcessInfo.processInfo.environment["CIFAR10_DIR"], !dir.isEmpty,
              FileManager.default.fileExists(atPath: dir) else { return nil }
        return dir
    }
}

/// Runs programs the way a user would.
public enum ExternalProcess {
    /// Runs `executable` with `arguments`, waiting for it to finish.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes while the child runs so neither fills up and blocks it.
        nonisolated(unsafe) var errData = Data()
        let errReader = Thread { errData = err.fileHandleForReading.readDataToEndOfFile() }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errReader.isFinished { usleep(1000) }
        let crashed = process.terminationReason == .uncaughtSignal
        return ProcessResult(status: crashed ? 128 + process.terminationStatus : process.terminationStatus, crashed: crashed,
                             stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs the built `adaptool` with `arguments`.
    public static func adaptool(_ arguments: [String], environment: [String: String] = [:]) throws -> ProcessResult {
        try run(PackagePaths.adaptoolBinary, arguments, environment: environment)
    }

    /// Runs `python3` with `arguments` (h5py, numpy and safetensors are installed by `make deps`).
    public static func python(_ arguments: [String]) throws -> ProcessResult {
        try run("/usr/bin/env", ["python3"] + arguments)
    }
}
