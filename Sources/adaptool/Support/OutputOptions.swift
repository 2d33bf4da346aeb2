import AdapterKit
import ArgumentParser

/// `-o`, `--force` and `--compress`: shared by every command that writes a file.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "Where to write the result (written atomically).")
    var output: String

    @Flag(help: "Replace the output if it already exists.")
    var force = false

    @Flag(help: "Store datasets chunked and deflate-compressed.")
    var compress = false

    @Option(help: "Deflate level 1–9 used with --compress.")
    var compressionLevel = 4

    func validate() throws {
        guard (1...9).contains(compressionLevel) else { throw ValidationError("--compression-level must be 1 to 9") }
    }

    /// Refuses, before any expensive work, an output (and `others`, such as `--metrics`) that names
    /// a folder, is a folder, or exists without `--force`. The library checks again when it commits.
    func requireFree(_ others: [String] = []) throws {
        for path in [output] + others { try OutputDestination.check(path, overwrite: force) }
    }

    /// The library's options for these flags.
    var writeOptions: WriteOptions {
        WriteOptions(compressionLevel: compress ? compressionLevel : nil, overwrite: force)
    }
}
