import AdapterKit
import ArgumentParser

/// `--force`: shared by every command that writes a file.
struct OverwriteFlag: ParsableArguments {
    @Flag(help: "Replace the output if it already exists.")
    var force = false
}

/// `--compress` and `--compression-level`: only for commands whose output is HDF5.
struct CompressionOptions: ParsableArguments {
    @Flag(help: "Store datasets chunked and deflate-compressed.")
    var compress = false

    @Option(help: "Deflate level 1–9 used with --compress.")
    var compressionLevel = 4

    func validate() throws {
        guard (1...9).contains(compressionLevel) else { throw ValidationError("--compression-level must be 1 to 9") }
    }

    /// The deflate level to write with, or nil when uncompressed.
    var level: Int? { compress ? compressionLevel : nil }
}

/// `-o` (required), `--force`, `--compress`: the options of every command that writes an HDF5 file.
struct OutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "Where to write the result (written atomically).")
    var output: String

    @OptionGroup var overwrite: OverwriteFlag

    @OptionGroup var compression: CompressionOptions

    /// `--force` was given.
    var force: Bool { overwrite.force }

    /// `--compress` was given.
    var compress: Bool { compression.compress }

    /// Refuses, before any expensive work, an output (and `others`, such as `--metrics`) that names
    /// a folder, is a folder, or exists without `--force`. The library checks again when it commits.
    func requireFree(_ others: [String] = []) throws {
        for path in [output] + others { try OutputDestination.check(path, overwrite: force) }
    }

    /// The library's options for these flags.
    var writeOptions: WriteOptions { WriteOptions(compressionLevel: compression.level, overwrite: force) }
}

/// `-o` and `--force` without compression: for `export`, whose safetensors outputs are never compressed.
struct UncompressedOutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")], help: "Where to write the result (written atomically).")
    var output: String

    @OptionGroup var overwrite: OverwriteFlag

    /// Refuses, before any expensive work, an output that is a folder or exists without `--force`.
    func requireFree() throws { try OutputDestination.check(output, overwrite: overwrite.force) }

    /// The library's options for these flags.
    var writeOptions: WriteOptions { WriteOptions(compressionLevel: nil, overwrite: overwrite.force) }
}

/// `--plot FILE.svg` and `--force`: for commands that otherwise print only (`eval`).
struct PlotOutputOptions: ParsableArguments {
    @Option(help: "Also draw the result as an SVG file (written atomically).")
    var plot: String?

    @OptionGroup var overwrite: OverwriteFlag

    /// Refuses, before any expensive work, a plot path that is a folder or exists without `--force`.
    func requireFree() throws {
        if let plot { try OutputDestination.check(plot, overwrite: overwrite.force) }
    }

    /// Writes `figure` to `--plot`, if given.
    func write(_ figure: @autoclosure () -> PlotFigure) throws {
        if let plot { try figure().write(to: plot, overwrite: overwrite.force) }
    }
}
