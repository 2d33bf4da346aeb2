import AdapterKit
import ArgumentParser

/// `adaptool unmerge`: remove a LoRA adapter from a merged checkpoint.
struct UnmergeCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "unmerge", abstract: "Remove a merged LoRA adapter: W = W' − s·scaling·B·A (DoRA cannot be unmerged); v1, v2 checkpoints and model folders.")

    @Argument(help: "The merged checkpoint (format v1 or v2), or a merged Hugging Face model folder (then ADAPTER is a PEFT folder).")
    var merged: String

    @Argument(help: "The LoRA adapter that was merged into it (a PEFT folder for a model folder).")
    var adapter: String

    @OptionGroup var output: OutputOptions

    @Option(help: "The scale the adapter was merged with.")
    var scale: Double = 1

    func execute() throws {
        try output.requireFree()
        switch FileKind.detect(merged) {
        case .modelFolder(let model): return try unmergeModelFolder(model)
        case .checkpoint(FormatV2.version): return try unmergeV2()
        default: break   // v1 files, and anything else for the v1 reader to name
        }
        let entry = WeightedAdapter(try Adapter.read(from: adapter), weight: scale, label: adapter)
        let summary = try CheckpointMerge.unmerge(merged: merged, adapters: [entry], output: output.output, options: output.writeOptions)
        let restored = summary.fingerprint == entry.adapter.baseFingerprint
            ? "matches the adapter's base_fingerprint exactly"
            : "differs from the adapter's base_fingerprint in the last float32 bits ("
                + RestoredComparison.hint(output: summary.output, largestMerged: try RestoredComparison.largestMagnitude(v1: merged, layers: summary.changedLayers)) + ")"
        print("wrote \(summary.output): \(summary.changedLayers.count) layers restored, fingerprint \(summary.fingerprint) \(restored)")
    }
}

extension UnmergeCommand {
    /// A v2 merged checkpoint and a v2 adapter: W = unfold(W') in float64 per targeted tensor,
    /// rounded once to its dtype; every other tensor copied with its digest. A method that cannot
    /// be undone (DoRA) refuses with its own reason.
    func unmergeV2() throws {
        // The merged file's fingerprint is, by construction, not the adapter's base_fingerprint:
        // it is compared with the result instead.
        let summary = try TensorCheckpointMerge.run(base: merged, adapters: [(adapter, scale)], output: output.output, direction: .unmerge,
                                                    options: output.writeOptions, ignoreFingerprint: true)
        let recorded = try TensorAdapterFile(path: adapter).manifest.baseFingerprint
        let restored = recorded == nil ? "the adapter records no base_fingerprint"
            : summary.fingerprint == recorded ? "matches the adapter's base_fingerprint exactly"
            : "differs from the adapter's base_fingerprint in the last bits of rounding ("
                + RestoredComparison.hint(output: output.output, largestMerged: try RestoredComparison.largestMagnitude(v2: merged, tensors: summary.merge.changed)) + ")"
        print("wrote \(output.output): \(summary.merge.changed.count) tensors restored, fingerprint \(summary.fingerprint) \(restored)")
    }
}

extension UnmergeCommand {
    /// `unmerge MODEL_DIR PEFT_DIR -o OUT_DIR`: the direct merge's inverse, into a new model folder.
    func unmergeModelFolder(_ model: ModelFolder) throws {
        guard !output.compress else { throw ValidationError("--compress applies to HDF5 outputs; a model folder holds safetensors, never compressed") }
        let summary = try ModelFolderMerge.run(model: model, adapters: [(adapter, scale)], output: output.output, direction: .unmerge,
                                               options: output.writeOptions)
        for note in summary.notes { Console.noteFromFile("note: \(note)") }
        print("wrote \(output.output): \(summary.merge.tensorCount) tensors, \(summary.merge.changed.count) restored")
    }
}
