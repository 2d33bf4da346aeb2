import AdapterKit
import ArgumentParser
import Foundation

/// `adaptool merge`: fold LoRA/DoRA adapters into a base checkpoint.
struct MergeCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge", abstract: "Fold LoRA/DoRA adapters into base weights.",
        discussion: "LoRA: W' = W + s·scaling·B·A (several LoRA adapters add, each with its weight). DoRA: W' = m ⊙ V/‖V‖ with V = W + scaling·B·A; a DoRA adapter is merged alone. Computed in float64, written as float32 (spec/math.md). A Hugging Face model folder with PEFT adapter folders merges straight into a new model folder (same shards, config.json and other files copied; one file when -o ends in .safetensors); each changed tensor is rounded once to its own dtype and every other tensor copied byte for byte.")

    @Argument(help: "The base checkpoint, or a Hugging Face model folder.")
    var base: String

    @Argument(help: "One or more adapters trained on BASE (PEFT folders for a model folder).")
    var adapters: [String]

    @OptionGroup var output: MergeOutputOptions

    @Option(help: "Multiply every adapter's update by S (default 1).")
    var scale: Double?

    @Option(help: "One weight per adapter, comma-separated (e.g. 0.7,0.3).")
    var weights: String?

    @Flag(help: "Merge even when an adapter's base_fingerprint differs from BASE's (shapes must still fit).")
    var ignoreFingerprint = false

    func validate() throws {
        guard !adapters.isEmpty else { throw ValidationError("give at least one ADAPTER") }
        guard scale == nil || weights == nil else { throw ValidationError("--scale and --weights are exclusive") }
        if let list = try parsedWeights(), list.count != adapters.count {
            throw ValidationError("--weights lists \(list.count) values for \(adapters.count) adapters")
        }
    }

    private func parsedWeights() throws -> [Double]? {
        guard let weights else { return nil }
        return try weights.split(separator: ",").map { item in
            guard let value = Double(item.trimmingCharacters(in: .whitespaces)), value.isFinite else {
                throw ValidationError("--weights: \"\(item)\" is not a finite number")
            }
            return value
        }
    }

    func execute() throws {
        let kind = FileKind.detect(base)
        try refuseSwappedArguments(baseKind: kind)
        var isModel = false
        if case .modelFolder = kind { isModel = true }
        let destination = try output.resolve(base: base, adapters: adapters, modelFolder: isModel)
        let factors = try parsedWeights() ?? Array(repeating: scale ?? 1, count: adapters.count)
        switch kind {
        case .modelFolder(let model): return try mergeModelFolder(model, weights: factors, to: destination)
        case .checkpoint(FormatV2.version): return try mergeV2(weights: factors, to: destination)
        default: break   // v1 files, and anything else for the v1 reader to name
        }
        let entries = try zip(adapters, factors).map { path, weight in WeightedAdapter(try Adapter.read(from: path), weight: weight, label: path) }
        let summary = try CheckpointMerge.merge(base: base, adapters: entries, output: destination,
                                                options: output.writeOptions, ignoreFingerprint: ignoreFingerprint)
        for entry in entries {
            Console.noteFromFile("merged \(entry.label) (\(entry.adapter.method.rawValue), weight \(entry.weight)) into \(entry.adapter.targetLayers.joined(separator: ", "))")
        }
        print("wrote \(summary.output): \(summary.layerNames.count) layers, \(summary.changedLayers.count) changed, fingerprint \(summary.fingerprint)")
    }
}

extension MergeCommand {
    /// `merge adapter.h5 base.h5`: the first argument is an adapter and the second a checkpoint
    /// (or a PEFT folder and a model folder), so the order is named rather than a layer mismatch.
    func refuseSwappedArguments(baseKind: FileKind) throws {
        guard let first = adapters.first else { return }
        let swapped: Bool
        switch (baseKind, FileKind.detect(first)) {
        case (.adapter, .checkpoint), (.peftFolder, .modelFolder): swapped = true
        default: swapped = false
        }
        if swapped { throw SwappedMergeArguments(adapter: base, base: first) }
    }
}

/// `merge ADAPTER BASE`: the arguments are in the wrong order.
struct SwappedMergeArguments: Error, CustomStringConvertible {
    /// The adapter given first, and the base given second.
    let adapter: String, base: String

    var description: String {
        "\(adapter): is an adapter and \(base) is a base; the order is BASE then ADAPTER: adaptool merge \(base) \(adapter)"
    }
}

extension MergeCommand {
    /// `merge MODEL_DIR PEFT_DIR… [-o OUT_DIR]`: the direct merge into a new model folder.
    func mergeModelFolder(_ model: ModelFolder, weights: [Double], to destination: String) throws {
        guard !output.compress else { throw ValidationError("--compress applies to HDF5 outputs; a model folder holds safetensors, never compressed") }
        let summary = try ModelFolderMerge.run(model: model, adapters: Array(zip(adapters, weights)), output: destination,
                                               options: output.writeOptions)
        for note in summary.notes { Console.noteFromFile("note: \(note)") }
        for (adapter, weight) in zip(summary.adapters, weights) {
            Console.note("merged \(adapter.label) (\(adapter.method), weight \(weight)) into \(adapter.targets) tensors")
        }
        print("wrote \(destination): \(summary.merge.tensorCount) tensors, \(summary.merge.changed.count) changed")
    }
}

extension MergeCommand {
    /// `merge base.h5 adapter.h5… [-o merged.h5]` on format v2 files.
    func mergeV2(weights: [Double], to destination: String) throws {
        let summary = try TensorCheckpointMerge.run(base: base, adapters: Array(zip(adapters, weights)), output: destination,
                                                    options: output.writeOptions, ignoreFingerprint: ignoreFingerprint)
        for (adapter, weight) in zip(summary.adapters, weights) {
            Console.note("merged \(adapter.label) (\(adapter.method), weight \(weight)) into \(adapter.targets) tensors")
        }
        print("wrote \(destination): \(summary.merge.tensorCount) tensors, \(summary.merge.changed.count) changed, fingerprint \(summary.fingerprint)")
    }
}
