import AdapterKit
import ArgumentParser

/// `adaptool inspect`: what a file is and what it holds, from metadata (plus checks with `--verify`).
struct InspectCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Say what a checkpoint, adapter or other HDF5 file holds.",
        discussion: """
            Reads metadata only: fast on files of any size. --verify also reads every value, recomputes \
            the fingerprint, checks that all values are finite and shapes follow spec/format.md, and exits \
            with status 1 when a check fails.
            """)

    @Argument(help: "The HDF5 file to inspect.")
    var file: String

    @Flag(help: "Print one JSON document instead of tables.")
    var json = false

    @Flag(help: "Also read all data: recompute the fingerprint, check shapes and that every value is finite.")
    var verify = false

    @Option(name: .customLong("base"), help: "For an adapter: the base checkpoint (share of its parameters, fingerprint and shape checks).")
    var base: String?

    func execute() throws {
        switch FileKind.detect(file) {
        case .checkpoint(FormatV2.version), .adapter(FormatV2.version):
            let inspection = try TensorFileInspection.inspect(path: file, base: base, verify: verify, fits: Self.fits)
            if json { try JSONOutput.print(inspection) } else { print(TensorInspectionText.render(inspection)) }
            try inspection.requireVerified()
            return
        case .safetensors:
            throw InteropError.unknownSource(path: file, problem: "is a safetensors file; inspect reads adaptool .h5 files: import it first (adaptool import \(file) -o NAME.h5), or compare it with adaptool diff")
        case .modelFolder:
            throw InteropError.unknownSource(path: file, problem: "is a Hugging Face model folder; import it to inspect it (adaptool import \(file) -o NAME.h5), or merge or diff it directly")
        case .peftFolder:
            throw InteropError.unknownSource(path: file, problem: "is a PEFT adapter folder; import it against its base to inspect it (adaptool import \(file) --base BASE -o NAME.h5)")
        case .other(let what) where what == FileKind.emptyFile || FileKind.isMistakenInput(what):
            throw InteropError.unknownSource(path: file, problem: "is \(what), not an HDF5 file; inspect reads adaptool checkpoints and adapters (.h5)")
        default: break   // v1 and foreign HDF5 files, and anything else for the v1 reader to name
        }
        let inspection = try FileInspection.inspect(path: file, base: base, verify: verify)
        if json {
            try JSONOutput.print(inspection)
        } else {
            print(InspectionText.render(inspection))
        }
        try inspection.requireVerified()
    }

    /// Why `target` of a `method` adapter does not fit the base tensor `base` (what merge checks), or nil.
    private static func fits(method: String, target: LowRankTarget, base: TensorInfo) -> String? {
        do throws(MethodError) {
            try LowRankMethods.validate(target, method: LowRankMethods.named(method), base: base)
            return nil
        } catch {
            return error.description
        }
    }
}
