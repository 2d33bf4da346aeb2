import AdapterKit
import ArgumentParser
import Foundation

/// `merge`'s output options: like ``OutputOptions`` but `-o` may be left out, and then a named
/// default next to the base is written (`base+adapter.h5`, `model-merged/`), never over anything.
struct MergeOutputOptions: ParsableArguments {
    @Option(name: [.short, .customLong("output")],
            help: "Where to write the result (written atomically). Default: BASE_STEM+ADAPTER_STEM.h5 next to BASE, or MODEL_DIR-merged/ for a model folder.")
    var output: String?

    @OptionGroup var overwrite: OverwriteFlag

    @OptionGroup var compression: CompressionOptions

    /// `--compress` was given.
    var compress: Bool { compression.compress }

    /// The library's options for these flags.
    var writeOptions: WriteOptions { WriteOptions(compressionLevel: compression.level, overwrite: overwrite.force) }

    /// `-o`, or the default for `base` and `adapters`, checked free like every output: a default
    /// that exists is refused with a line naming `-o` and `--force`.
    func resolve(base: String, adapters: [String], modelFolder: Bool) throws -> String {
        if let output {
            try OutputDestination.check(output, overwrite: overwrite.force)
            return output
        }
        let path = Self.defaultPath(base: base, adapters: adapters, modelFolder: modelFolder)
        do {
            try OutputDestination.check(path, overwrite: overwrite.force)
        } catch .outputExists, .outputIsFolder {
            throw DefaultOutputTaken(path: path)
        }
        return path
    }

    /// `dir/base+a+b.h5` beside the base file (its extension, `.h5` if it has none), or
    /// `dir/model-merged` for a model folder.
    static func defaultPath(base: String, adapters: [String], modelFolder: Bool) -> String {
        let trimmed = stripTrailingSlashes(base)
        let folder = (trimmed as NSString).deletingLastPathComponent
        let prefix = folder.isEmpty ? "" : folder == "/" ? "/" : folder + "/"
        let baseName = (trimmed as NSString).lastPathComponent
        if modelFolder { return prefix + baseName + "-merged" }
        let stems = ([trimmed] + adapters.map(stripTrailingSlashes)).map { (($0 as NSString).lastPathComponent as NSString).deletingPathExtension }
        let suffix = (baseName as NSString).pathExtension
        return prefix + stems.joined(separator: "+") + "." + (suffix.isEmpty ? "h5" : suffix)
    }
}

/// `path` without trailing slashes (`model/` → `model`), `/` kept.
private func stripTrailingSlashes(_ path: String) -> String {
    var trimmed = path
    while trimmed.count > 1, trimmed.hasSuffix("/") { trimmed.removeLast() }
    return trimmed
}

/// `merge` without `-o` found its default output already taken.
struct DefaultOutputTaken: Error, CustomStringConvertible {
    /// The default output path that exists.
    let path: String

    var description: String {
        "\(path): already exists (merge's default output when -o is not given); pass -o OUT to write elsewhere, or --force to replace it"
    }
}
