import AdapterKit
import ArgumentParser

/// `adaptool export`: checkpoint → safetensors state dict, adapter → PEFT folder.
struct ExportCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export to safetensors or a PEFT adapter folder.",
        discussion: """
        A checkpoint becomes a safetensors state dict (<layer>.weight, <layer>.bias); an adapter becomes a \
        PEFT folder (adapter_config.json + adapter_model.safetensors) that PeftModel.from_pretrained loads. \
        DoRA adapters with norm_axis "input" have no PEFT equivalent and are refused. A format v2 adapter becomes a PEFT folder \
        with every factor byte for byte in its stored dtype. A format v2 checkpoint \
        becomes a Hugging Face model folder (its tensors byte for byte in their own dtypes, sharded as imported, \
        with the index, config.json and the other attached files), or one file when OUT ends in .safetensors.
        """)

    /// Element types the export can store.
    enum StoredType: String, ExpressibleByArgument, CaseIterable {
        case f32, f16, bf16
        var dtype: SafetensorsDType { self == .f32 ? .f32 : self == .f16 ? .f16 : .bf16 }
    }

    @Argument(help: "The checkpoint or adapter (.h5) to export.")
    var source: String

    @OptionGroup var output: UncompressedOutputOptions

    @Option(help: "Stored element type for a v1 file: f32 (exact, the default), f16 or bf16 (rounded to nearest even). A v2 checkpoint keeps each tensor's own dtype.")
    var dtype: StoredType?

    func execute() throws {
        try output.requireFree()
        switch FileKind.detect(source) {
        case .checkpoint(FormatV2.version): return try exportV2Checkpoint()
        case .adapter(FormatV2.version): return try exportV2Adapter()
        default: break   // v1 files, and anything else for the v1 path to name
        }
        let stored = (dtype ?? .f32).dtype
        let kind = try Interop.export(source, to: output.output, dtype: stored, options: output.writeOptions)
        print("wrote \(kind.rawValue) \(output.output) (\(stored.rawValue))")
    }

    /// A v2 checkpoint → model folder (or one .safetensors file), every tensor in its own dtype.
    private func exportV2Checkpoint() throws {
        if let dtype {
            throw ValidationError("--dtype \(dtype.rawValue): a v2 checkpoint is exported with each tensor in its own dtype, byte for byte; drop --dtype")
        }
        let checkpoint = try TensorCheckpointFile(path: source)
        let (kind, notes) = try TensorCheckpointExport.run(checkpoint, to: output.output, options: output.writeOptions)
        for note in notes { Console.noteFromFile(note) }
        print("wrote \(kind.rawValue) \(output.output): \(checkpoint.tensors.count) tensors")
    }

    /// A v2 adapter → PEFT folder, every factor byte for byte in its stored dtype.
    private func exportV2Adapter() throws {
        if let dtype {
            throw ValidationError("--dtype \(dtype.rawValue): a v2 adapter is exported with each factor in its stored dtype, byte for byte; drop --dtype")
        }
        let summary = try TensorAdapterPEFTExport.run(try TensorAdapterFile(path: source), to: output.output, options: output.writeOptions)
        let layout = summary.fanInFanOut ? ", fan_in_fan_out" : ""
        print("wrote PEFT adapter folder \(output.output): \(summary.method), \(summary.modules.count) modules, r \(summary.rank), scaling \(summary.scaling)\(layout)")
    }
}
