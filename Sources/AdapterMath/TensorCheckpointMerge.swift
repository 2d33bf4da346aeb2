import AdapterCore
import Foundation

/// `merge base.h5 adapter.h5… -o merged.h5` (and unmerge) on format v2: a v2 checkpoint and v2
/// adapters through ``TensorMerge`` into a new v2 checkpoint that keeps the base's architecture,
/// metadata, attached files and each tensor's `shard`, and reuses the stored digest of every
/// tensor it does not change.
public enum TensorCheckpointMerge {
    /// What a v2 merge did.
    public struct Summary: Sendable {
        /// The engine's summary.
        public var merge: TensorMergeSummary
        /// The output's model fingerprint.
        public var fingerprint: String
        /// Each adapter's method and number of targets, in the order given.
        public var adapters: [(label: String, method: String, targets: Int)]
    }

    /// The provenance JSON recorded in the output.
    struct Provenance: Encodable {
        struct Entry: Encodable {
            var path: String, method: String, weight: Double, targets: [String]
            var baseFingerprint: String?
            enum CodingKeys: String, CodingKey { case path, method, weight, targets, baseFingerprint = "base_fingerprint" }
        }
        var operation: String, tool: String, input: String, inputFingerprint: String, precision: String
        var adapters: [Entry]
        enum CodingKeys: String, CodingKey { case operation, tool, input, precision, adapters, inputFingerprint = "input_fingerprint" }
    }

    /// How targeted tensors are computed, as the provenance says it.
    static let precisionNote = "float64 (exact widening, float64 fold, rounded once to each tensor's dtype); untouched tensors copied byte for byte"

    /// Merges (or unmerges) the v2 adapters `adapters` (path, weight) into the v2 checkpoint at
    /// `base`, writing the v2 checkpoint `output`.
    public static func run(base path: String, adapters: [(path: String, weight: Double)], output: String,
                           direction: TensorMerge.Direction = .merge, options: WriteOptions = WriteOptions(),
                           ignoreFingerprint: Bool = false) throws(TensorMergeError) -> Summary {
        do { try CheckpointMerge.requireDistinct(output: output, inputs: [path] + adapters.map(\.path)) } catch { throw .merge(error) }
        let base: TensorCheckpointFile
        do { base = try TensorCheckpointFile(path: path) } catch { throw .base(error) }
        var sources: [WeightedFactorSource] = []
        var entries: [Provenance.Entry] = []
        for (adapterPath, weight) in adapters {
            let adapter: TensorAdapterFile
            do { adapter = try TensorAdapterFile(path: adapterPath) } catch { throw .adapter(adapter: adapterPath, error) }
            sources.append(WeightedFactorSource(adapter, weight: weight, label: adapterPath))
            entries.append(.init(path: adapterPath, method: adapter.manifest.method, weight: weight,
                                 targets: adapter.manifest.targets.map(\.tensor), baseFingerprint: adapter.manifest.baseFingerprint))
        }
        try TensorMerge.check(base: base, adapters: sources, direction: direction, baseFingerprint: base.fingerprint, ignoreFingerprint: ignoreFingerprint)
        var metadata = base.metadata
        metadata.createdBy = FormatV1.toolVersion
        let provenance = Provenance(operation: direction == .merge ? "merge" : "unmerge", tool: FormatV1.toolVersion, input: path,
                                    inputFingerprint: base.fingerprint, precision: precisionNote, adapters: entries)
        metadata.provenance = (try? JSONEncoder.sorted.encode(provenance)).flatMap { String(data: $0, encoding: .utf8) }
        let writer: TensorCheckpointWriter
        do {
            writer = try TensorCheckpointWriter(path: output, metadata: metadata, options: options,
                                                reservingBytes: base.tensors.reduce(0) { $0 + $1.byteCount })
            for name in base.attachedFiles { try writer.attachFile(named: name, contents: try base.attachedFile(named: name)) }
        } catch { throw .output(error) }
        let summary = try TensorMerge.run(base: base, adapters: sources, into: ShardKeepingWriter(writer, shard: base.shard(of:)),
                                          direction: direction, baseFingerprint: base.fingerprint, ignoreFingerprint: ignoreFingerprint)
        let fingerprint: String
        do { fingerprint = try writer.commit() } catch { throw .output(error) }
        return Summary(merge: summary, fingerprint: fingerprint, adapters: entries.map { ($0.path, $0.method, $0.targets.count) })
    }
}

/// Passes each tensor on to a v2 checkpoint writer with the shard the base recorded for it, so
/// the merged checkpoint exports with the base's sharding.
private final class ShardKeepingWriter: TensorWriter {
    private let writer: TensorCheckpointWriter
    private let shard: (String) -> String?

    init(_ writer: TensorCheckpointWriter, shard: @escaping (String) -> String?) { (self.writer, self.shard) = (writer, shard) }

    func write(_ info: TensorInfo, bytes: UnsafeRawBufferPointer, digest: String?) throws(FormatError) {
        try writer.write(info, bytes: bytes, digest: digest, shard: shard(info.name))
    }
}

private extension JSONEncoder {
    /// Sorted keys, so the same merge records the same text.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
