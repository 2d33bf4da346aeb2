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
        try run("merge", input: basePath, adapters: adapters, output: output, options: options, ignoreFingerprint: ignoreFingerprint, sign: 1)
    }

    /// Removes LoRA `adapters` from the merged checkpoint at `mergedPath` (W = W' − s · scaling · B · A).
    ///
    /// DoRA is refused with ``MergeError/notInvertible(reason:)``. Fingerprints are not compared on
    /// the way in (the merged file has its own); compare ``MergeSummary/fingerprint`` with the
    /// adapter's `base_fingerprint` to learn whether the base was restored bit for bit.
    public static func unmerge(merged mergedPath: String, adapters: [WeightedAdapter], output: String,
                               options: WriteOptions = WriteOptions()) throws -> MergeSummary {
        if adapters.contains(where: { $0.adapter.method == .dora }) { throw MergeError.notInvertible(reason: AdapterMerge.doraNotInvertibleReason) }
        return try run("unmerge", input: mergedPath, adapters: adapters, output: output, options: options, ignoreFingerprint: true, sign: -1)
    }

    /// Validates everything, then streams `input` to `output` folding the adapters in with `sign`.
    private static func run(_ operation: String, input: String, adapters: [WeightedAdapter], output: String, options: WriteOptions,
                            ignoreFingerprint: Bool, sign: Double) throws -> MergeSummary {
        try requireDistinct(output: output, inputs: [input] + adapters.map(\.label))
        let file = try CheckpointFile(path: input)
        try AdapterMerge.validate(adapters, baseFingerprint: file.storedFingerprint, shapes: file.layerShapes, ignoreFingerprint: ignoreFingerprint)
        let provenance = makeProvenance(operation, input: file, adapters: adapters)
        return try stream(file, output: output, options: options, provenance: provenance, adapters: adapters) { layer throws(MergeError) in
            try AdapterMerge.requireFinite(layer, source: file.path)
            try AdapterMerge.fold(&layer, adapters, sign: sign)
        }
    }

    /// Reads, transforms and writes every layer. Two stages overlap: while a background queue
    /// writes and hashes layer k, this thread reads and folds layer k + 1. Exactly two weight buffers
    /// circulate (reused through ``CheckpointFile/readLayer(_:reusing:)``), so peak memory is about two
    /// float32 layers.
    private static func stream(_ file: CheckpointFile, output: String, options: WriteOptions, provenance: MergeProvenance,
                               adapters: [WeightedAdapter], transform: (inout Layer) throws(MergeError) -> Void) throws -> MergeSummary {
        var metadata = file.metadata
        metadata.createdBy = FormatV1.toolVersion
        metadata.provenance = provenance.json
        let sink = LayerSink(try CheckpointWriter(path: output, layerNames: file.layerNames, metadata: metadata, options: options,
                                                  layerShapes: file.layerShapes.map { ($0.out, $0.in) }))
        var spare: [Float] = []
        let fingerprint: String
        do {
            for name in file.layerNames {
                var layer = try file.readLayer(name, reusing: &spare)
                try transform(&layer)
                spare = try sink.waitForPrevious()
                sink.write(layer)
            }
            fingerprint = try sink.finish()
        } catch {
            sink.abandon()   // the temporary output is deleted before the error reaches the user
            throw error
        }
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

    /// Refuses an output that resolves to one of the inputs (even with `overwrite: true`).
    static func requireDistinct(output: String, inputs: [String]) throws(MergeError) {
        func canonical(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path }
        let target = canonical(output)
        if inputs.contains(where: { canonical($0) == target }) { throw .outputIsInput(path: output) }
    }
}

/// The write stage of the streaming pipeline: appends layers to a ``CheckpointWriter`` on a serial
/// background queue, one at a time, handing each written layer's weight buffer back for reuse.
///
/// `@unchecked Sendable` is sound because the stages are strictly alternated: the owner calls
/// ``write(_:)`` only after ``waitForPrevious()`` returned, so the writer and the result slots are
/// never touched by two threads at once.
private final class LayerSink: @unchecked Sendable {
    private var writer: CheckpointWriter?
    private let queue = DispatchQueue(label: "adaptool.merge.write")
    private let group = DispatchGroup()
    private var pending: Layer?
    private var returned: [Float] = []
    private var failure: FormatError?

    init(_ writer: CheckpointWriter) { self.writer = writer }

    /// Waits for the last write, then finishes the file; returns its fingerprint.
    func finish() throws(FormatError) -> String {
        _ = try waitForPrevious()
        guard let writer else { throw .io(path: "merge output", problem: "the writer was already closed") }
        return try writer.finish()
    }

    /// Waits for any write in flight and drops the writer, which deletes its temporary file.
    func abandon() {
        group.wait()
        writer = nil
    }

    /// Starts writing `layer` in the background.
    func write(_ layer: consuming Layer) {
        pending = layer
        queue.async(group: group) {
            // The layer lives only in this block's local, so its buffer is unique again once returned.
            guard let layer = self.pending.take() else { return }
            do throws(FormatError) {
                try self.writer?.append(layer)
            } catch {
                self.failure = error
            }
            self.returned = layer.weight.values
        }
    }

    /// Waits for the write in flight (if any); returns its weight buffer, or throws its error.
    func waitForPrevious() throws(FormatError) -> [Float] {
        group.wait()
        if let failure { throw failure }
        defer { returned = [] }
        return returned
    }
}
