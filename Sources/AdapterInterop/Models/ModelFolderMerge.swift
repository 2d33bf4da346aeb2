import AdapterCore
import AdapterMath
import Foundation

/// The direct merge: a Hugging Face model folder plus PEFT adapter folders in, a model folder
/// out, with no HDF5 in between. The output has the input's shard files, tensor order and
/// `__metadata__`, its index and its other files (config.json, tokenizer files, …) copied byte for
/// byte; targeted tensors are merged in float64 and rounded once to their own dtype, every other
/// tensor is copied byte for byte, one tensor at a time.
public enum ModelFolderMerge {
    /// What a direct merge did.
    public struct Summary: Sendable {
        /// The engine's summary (tensors written, which changed).
        public var merge: TensorMergeSummary
        /// Each adapter's method and target count, in the order given.
        public var adapters: [(label: String, method: String, targets: Int)]
        /// Lines the user should see (e.g. a layout PEFT would force).
        public var notes: [String]
    }

    /// Merges (or, with `direction` `.unmerge`, takes out) the PEFT adapters `adapters` (folder
    /// path and weight) into the model folder `model`, writing the folder `output` — or, when
    /// `output` ends in `.safetensors`, that one file (tensors only, in the model's order).
    public static func run(model: ModelFolder, adapters: [(path: String, weight: Double)], output: String,
                           direction: TensorMerge.Direction = .merge, options: WriteOptions = WriteOptions()) throws(TensorMergeError) -> Summary {
        let base: any TensorReader<InteropError>
        let architecture: String?
        let layout: ModelFolderLayout
        do {
            base = try model.reader()
            architecture = try model.modelType()
            layout = try model.layout()
        } catch { throw .base(error) }
        var sources: [WeightedFactorSource] = []
        var described: [(label: String, method: String, targets: Int)] = []
        var notes: [String] = []
        for (path, weight) in adapters {
            do {
                let source = try PEFTFactorSource(folder: path, base: base, baseArchitecture: architecture)
                sources.append(WeightedFactorSource(source, weight: weight, label: path))
                described.append((path, source.method.name, source.manifest.targets.count))
                notes += source.notes
            } catch { throw .adapter(adapter: path, error) }
        }
        try TensorMerge.check(base: base, adapters: sources, direction: direction)
        if output.hasSuffix(".safetensors") {
            let writer: SafetensorsWriter
            do {
                writer = try SafetensorsWriter(path: output, tensors: layout.tensors, metadata: layout.shards.first?.metadata ?? [:], options: options)
            } catch { throw .output(error) }
            let summary = try TensorMerge.run(base: base, adapters: sources, into: writer, direction: direction)
            do { try writer.finish() } catch { throw .output(error) }
            let dropped = layout.files.map(\.name)
            return Summary(merge: summary, adapters: described, notes: notes + (dropped.isEmpty ? [] :
                ["\(dropped.joined(separator: ", ")) not written: a single .safetensors file holds tensors only; write to a folder to keep them"]))
        }
        let writer: ModelFolderWriter
        do { writer = try ModelFolderWriter(path: output, layout: layout, options: options) } catch { throw .output(error) }
        let summary = try TensorMerge.run(base: base, adapters: sources, into: writer, direction: direction)
        do { try writer.finish() } catch { throw .output(error) }
        return Summary(merge: summary, adapters: described, notes: notes)
    }
}
