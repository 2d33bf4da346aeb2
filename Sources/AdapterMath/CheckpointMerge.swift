import AdapterCore
import Foundation

/// What a streaming merge or unmerge wrote.
public struct MergeSummary: Sendable {
    /// The output file.
    public var output: String
    /// The output's fingerprint.
    public var fingerprint: String
    /// The input checkpoint's stored fingerprint.
    public var inputFingerprint: String
    /// Every layer of the output, in order.
    public var layerNames: [String]
    /// The layers an adapter changed.
    public var changedLayers: [String]
    /// The provenance recorded in the output.
    public var provenance: MergeProvenance
}

/// Merge and unmerge over files, streaming one layer at a time (spec/math.md §Streaming): each
/// base layer is read, folded in place in float64 row blocks and appended to a
/// ``CheckpointWriter``, so peak memory is about one float32 layer plus the adapters.
public enum CheckpointMerge {
    /// Merges `adapters` (labels are their paths) into the checkpoint at `basePath`, writing `output`.
    ///
    /// Everything is validated before the output is created; a failure part-way (a non-finite
    /// result) leaves no output file behind.
    public static func merge(base basePath: String, adapters: [WeightedAdapter], output: String,
                             options: WriteOptions = WriteOptions(), ignoreFingerprint: Bool = false) throws -> MergeSummary {
        try requireDistinct(output: output, inputs: [basePath] + adapters.map(\.label))
        let file = try CheckpointFile(path: basePath)
        try AdapterMerge.validate(adapters, baseFingerprint: file.storedFingerprint, shapes: file.layerShapes, ignoreFingerprint: ignoreFingerprint)
        let provenance = makeProvenance("merge", input: file, adapters: adapters)
        return try stream(file, output: output, options: options, provenance: provenance, adapters: adapters) { layer throws(MergeError) in
            try AdapterMerge.merge(layer, with: adapters)
        }
    }

    /// Removes LoRA `adapters` from the merged checkpoint at `mergedPath` (W = W' − s · scaling · B · A).
    ///
    /// DoRA is refused with ``MergeError/notInvertible(reason:)``. Fingerprints are not compared on
    /// the way in (the merged file has its own); compare ``MergeSummary/fingerprint`` with the
    /// adapter's `base_fingerprint` to learn whether the base was restored bit for bit.
    public static func unmerge(merged mergedPath: String, adapters: [WeightedAdapter], output: String,
                               options: WriteOptions = WriteOptions()) throws -> MergeSummary {
        if adapters.contains(where: { $0.adapter.method == .dora }) { throw MergeError.notInvertible(reason: AdapterMerge.doraNotInvertibleReason) }
        try requireDistinct(output: output, inputs: [mergedPath] + adapters.map(\.label))
        let file = try CheckpointFile(path: mergedPath)
        try AdapterMerge.validate(adapters, baseFingerprint: file.storedFingerprint, shapes: file.layerShapes, ignoreFingerprint: true)
        let provenance = makeProvenance("unmerge", input: file, adapters: adapters)
        return try stream(file, output: output, options: options, provenance: provenance, adapters: adapters) { layer throws(MergeError) in
            try AdapterMerge.unmerge(layer, removing: adapters)
        }
    }

    private static func stream(_ file: CheckpointFile, output: String, options: WriteOptions, provenance: MergeProvenance,
                               adapters: [WeightedAdapter], transform: (Layer) throws(MergeError) -> Layer) throws -> MergeSummary {
        var metadata = file.metadata
        metadata.createdBy = FormatV1.toolVersion
        metadata.provenance = provenance.json
        let writer = try CheckpointWriter(path: output, layerNames: file.layerNames, metadata: metadata, options: options)
        for name in file.layerNames {
            try writer.append(try transform(try file.readLayer(name)))
        }
        let fingerprint = try writer.finish()
        let adapted = Set(adapters.flatMap(\.adapter.targetLayers))
        return MergeSummary(output: output, fingerprint: fingerprint, inputFingerprint: file.storedFingerprint,
                            layerNames: file.layerNames, changedLayers: file.layerNames.filter(adapted.contains), provenance: provenance)
    }

    private static func makeProvenance(_ operation: String, input: CheckpointFile, adapters: [WeightedAdapter]) -> MergeProvenance {
        MergeProvenance(
            operation: operation, tool: FormatV1.toolVersion, input: input.path, inputFingerprint: input.storedFingerprint,
            precision: MergeProvenance.precisionNote,
            adapters: adapters.map { entry in
                MergeProvenance.Entry(path: entry.label, method: entry.adapter.method.rawValue, baseFingerprint: entry.adapter.baseFingerprint,
                                      adapterFingerprint: entry.adapter.contentFingerprint, weight: entry.weight,
                                      scaling: entry.adapter.scaling, normAxis: entry.adapter.normAxis?.rawValue, layers: entry.adapter.targetLayers)
            })
    }

    /// Refuses an output that resolves to one of the inputs (even with `--force`).
    static func requireDistinct(output: String, inputs: [String]) throws(MergeError) {
        func canonical(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        let target = canonical(output)
        if inputs.contains(where: { canonical($0) == target }) { throw .outputIsInput(path: output) }
    }
}
