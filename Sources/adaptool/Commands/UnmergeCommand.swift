import AdapterKit
import ArgumentParser

/// `adaptool unmerge`: remove a LoRA adapter from a merged checkpoint.
struct UnmergeCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmerge", abstract: "Remove a merged LoRA adapter: W = W' − s·scaling·B·A (DoRA cannot be unmerged).")

    @Argument(help: "The merged checkpoint (or merged Hugging Face model folder).")
    var merged: String

    @Argument(help: "The LoRA adapter that was merged into it (a PEFT folder for a model folder).")
    var adapter: String

    @OptionGroup var output: OutputOptions

    @Option(help: "The scale the adapter was merged with (default 1).")
    var scale: Double = 1

    func execute() throws {
        try output.requireFree()
        if let model = ModelFolder.detect(merged) {
            let summary = try ModelFolderMerge.run(model: model, adapters: [(adapter, scale)], output: output.output,
                                                   direction: .unmerge, options: output.writeOptions)
            print("wrote \(output.output): \(summary.merge.changed.count) of \(summary.merge.tensorCount) tensors restored")
            return
        }
        if FormatProbe.probe(path: merged)?.version == FormatV2.version {
            // The adapter records the base it was made for, not the merged model: nothing to compare before.
            let summary = try TensorCheckpointMerge.run(base: merged, adapters: [(adapter, scale)], output: output.output,
                                                        direction: .unmerge, options: output.writeOptions, ignoreFingerprint: true)
            print("wrote \(output.output): \(summary.merge.changed.count) of \(summary.merge.tensorCount) tensors restored, fingerprint \(summary.fingerprint)")
            return
        }
        let entry = WeightedAdapter(try Adapter.read(from: adapter), weight: scale, label: adapter)
        let summary = try CheckpointMerge.unmerge(merged: merged, adapters: [entry], output: output.output, options: output.writeOptions)
        let restored = summary.fingerprint == entry.adapter.baseFingerprint
            ? "matches the adapter's base_fingerprint exactly"
            : "differs from the adapter's base_fingerprint in the last float32 bits (compare with adaptool diff --rtol 1e-6)"
        print("wrote \(summary.output): \(summary.changedLayers.count) layers restored, fingerprint \(summary.fingerprint) \(restored)")
    }
}
