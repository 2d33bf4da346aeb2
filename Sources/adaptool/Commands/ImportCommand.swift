import AdapterKit
import ArgumentParser

/// `adaptool import`: a safetensors state dict → checkpoint, or a PEFT adapter → adapter.
struct ImportCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import PEFT adapters or safetensors state dicts.",
        discussion: """
        SRC is a PyTorch state dict in safetensors (<layer>.weight [out, in], <layer>.bias; layers ordered \
        by the numbers in their names) or a PEFT LoRA/DoRA adapter folder (or its adapter_config.json or \
        adapter_model.safetensors). An adapter needs --base (the checkpoint .h5 or its state dict \
        .safetensors): its fingerprint is recorded and every shape checked. See spec/interop.md.
        """)

    @Argument(help: "The safetensors state dict or PEFT adapter folder to import.")
    var source: String

    @OptionGroup var output: OutputOptions

    @Option(help: "The base the PEFT adapter belongs to (.h5 checkpoint or .safetensors state dict).")
    var base: String?

    @Option(help: "The activation between layers of an imported state dict (format v1: relu).")
    var activation = "relu"

    func execute() throws {
        try output.requireFree()
        let result = try Interop.importFile(source, to: output.output, base: base, activation: activation, options: output.writeOptions)
        for note in result.notes { Console.note(note) }
        switch result.imported {
        case .checkpoint(let fingerprint, let layers):
            print("wrote checkpoint \(output.output): \(layers.count) layers (\(layers.joined(separator: ", "))), fingerprint \(fingerprint)")
        case .adapter(let adapter):
            let axis = adapter.normAxis.map { ", norm_axis \($0.rawValue)" } ?? ""
            print("wrote \(adapter.method.rawValue) adapter \(output.output): rank \(adapter.rank), scaling \(adapter.scaling)\(axis), "
                  + "layers \(adapter.targetLayers.joined(separator: ", ")), base \(adapter.baseFingerprint)")
        }
    }
}
