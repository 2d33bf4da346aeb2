import AdapterKit
import ArgumentParser

/// `adaptool import`: a model (folder or safetensors) → checkpoint, or a PEFT adapter → adapter.
struct ImportCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import models, PEFT adapters or safetensors state dicts.",
        discussion: """
        SRC is a Hugging Face model folder (config.json + model.safetensors, or shards listed by \
        model.safetensors.index.json) or one .safetensors file, of any architecture: it becomes a format v2 \
        checkpoint keeping every tensor's name, dtype, shape and bytes, with config.json and the folder's other \
        small files. A .safetensors file that fits the MLP layout (<layer>.weight [out, in], <layer>.bias; layers \
        ordered by the numbers in their names) becomes a format v1 MLP checkpoint as before; one that does not \
        becomes a v2 checkpoint.
        SRC may also be a PEFT LoRA/DoRA adapter folder (or its adapter_config.json or adapter_model.safetensors), \
        which needs --base: with a v2 checkpoint, a model folder or a non-MLP .safetensors file it becomes a v2 \
        adapter (any target modules, rank/alpha patterns, rsLoRA, DoRA, GPT-2 Conv1D); with a v1 checkpoint or \
        MLP state dict, a v1 adapter. The base's fingerprint is recorded and every shape checked. See spec/interop.md.
        SRC may also be a format v1 checkpoint or adapter (.h5): it is rewritten as format v2, losslessly (an \
        adapter records its base's v2 fingerprint when --base names the v1 checkpoint it was trained on).
        """)

    @Argument(help: "The model folder, .safetensors file or PEFT adapter folder to import.")
    var source: String

    @OptionGroup var output: OutputOptions

    @Option(help: "The base the PEFT adapter belongs to (.h5 checkpoint, model folder or .safetensors file).")
    var base: String?

    @Option(help: "The activation between layers of an imported state dict (format v1: relu).")
    var activation = "relu"

    func execute() throws {
        try output.requireFree()
        let result = try Interop.importFile(source, to: output.output, base: base, activation: activation, options: output.writeOptions)
        for note in result.notes { Console.noteFromFile(note) }
        switch result.imported {
        case .checkpoint(let fingerprint, let layers):
            print("wrote checkpoint \(output.output): \(layers.count) layers (\(layers.joined(separator: ", "))), fingerprint \(fingerprint)")
        case .adapter(let adapter):
            let axis = adapter.normAxis.map { ", norm_axis \($0.rawValue)" } ?? ""
            print("wrote \(adapter.method.rawValue) adapter \(output.output): rank \(adapter.rank), scaling \(adapter.scaling)\(axis), "
                  + "layers \(adapter.targetLayers.joined(separator: ", ")), base \(adapter.baseFingerprint)")
        case .tensorCheckpoint(let summary):
            let files = summary.attachedFiles.isEmpty ? "" : ", files \(Console.printable(summary.attachedFiles.joined(separator: ", ")))"
            print("wrote checkpoint \(output.output) (format v2, architecture \(Console.printable(summary.architecture))): \(summary.tensorCount) tensors, "
                  + "\(summary.byteCount) bytes\(files), fingerprint \(summary.fingerprint)")
        case .upgradedCheckpoint(let fingerprint):
            print("wrote checkpoint \(output.output) (format v2, architecture mlp), fingerprint \(fingerprint)")
        case .upgradedAdapter:
            print("wrote adapter \(output.output) (format v2)")
        case .tensorAdapter(let summary):
            let ranks = Set(summary.targets.map(\.rank)).sorted().map(String.init).joined(separator: "/")
            print("wrote \(summary.method) adapter \(output.output) (format v2): \(summary.targets.count) target\(summary.targets.count == 1 ? "" : "s"), rank \(ranks), "
                  + "base \(summary.baseFingerprint)")
        }
    }
}
