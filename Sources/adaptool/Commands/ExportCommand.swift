import AdapterKit
import ArgumentParser

/// `adaptool export`: checkpoint → safetensors state dict, adapter → PEFT folder.
struct ExportCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export to safetensors or a PEFT adapter folder.",
        discussion: """
        A checkpoint becomes a safetensors state dict (<layer>.weight, <layer>.bias); an adapter becomes a \
        PEFT folder (adapter_config.json + adapter_model.safetensors) that PeftModel.from_pretrained loads. \
        DoRA adapters with norm_axis "input" have no PEFT equivalent and are refused.
        """)

    /// Element types the export can store.
    enum StoredType: String, ExpressibleByArgument, CaseIterable {
        case f32, f16, bf16
        var dtype: SafetensorsDType { self == .f32 ? .f32 : self == .f16 ? .f16 : .bf16 }
    }

    @Argument(help: "The checkpoint or adapter (.h5) to export.")
    var source: String

    @OptionGroup var output: OutputOptions

    @Option(help: "Stored element type: f32 (exact), f16 or bf16 (rounded to nearest even).")
    var dtype: StoredType = .f32

    func validate() throws {
        guard !output.compress else { throw ValidationError("--compress applies to HDF5 outputs; safetensors is never compressed") }
    }

    func execute() throws {
        try output.requireFree()
        let kind = try Interop.export(source, to: output.output, dtype: dtype.dtype, options: output.writeOptions)
        print("wrote \(kind.rawValue) \(output.output) (\(dtype.dtype.rawValue))")
    }
}
