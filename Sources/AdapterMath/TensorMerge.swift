import AdapterCore
import AdapterMethods

/// One adapter to fold into (or out of) a base: where its factors come from and the user's weight.
public struct WeightedFactorSource {
    /// The adapter (an HDF5 v2 adapter, a PEFT folder, …).
    public var source: any LowRankFactorSource
    /// Multiplies every target's scaling (`--weights`, `--scale`).
    public var weight: Double
    /// How errors name it (its path).
    public var label: String

    /// Pairs an adapter with its weight.
    public init(_ source: any LowRankFactorSource, weight: Double = 1, label: String) {
        (self.source, self.weight, self.label) = (source, weight, label)
    }
}

/// What a merge wrote.
public struct TensorMergeSummary: Sendable, Equatable {
    /// Tensors written (every base tensor).
    public var tensorCount: Int
    /// The tensors an adapter changed, in base order.
    public var changed: [String]
    /// Bytes of tensor data written.
    public var bytes: Int
}

/// Merge and unmerge over named tensors, for any model: every base tensor is read, changed if an
/// adapter targets it, and written, in the base's order; tensor N is written (and hashed) on a
/// second thread while tensor N + 1 is read and folded (``TensorWritePipeline``), so peak memory is
/// about two tensors' bytes plus one float64 copy whatever the model's size.
///
/// A targeted tensor is widened exactly to float64, transposed to `[out, in]` when stored
/// `[in, out]`, folded by each adapter's method in float64, checked finite, transposed back and
/// rounded **once** to its own dtype. Every other tensor is copied byte for byte, with the base's
/// stored digest passed on so it is not hashed again. Everything that can be checked from
/// metadata is checked before the first tensor is written (spec/math.md §Precision).
public enum TensorMerge {
    /// Whether adapters are folded in or taken out.
    public enum Direction: Sendable {
        /// W' = fold(W) for each adapter in order.
        case merge
        /// W = unfold(W') for each adapter in reverse order (methods that cannot be undone throw).
        case unmerge
    }

    /// Checks, from metadata alone, everything ``run(base:adapters:into:direction:baseFingerprint:ignoreFingerprint:)``
    /// checks before writing: call it before creating an expensive output.
    public static func check(base: some TensorReader, adapters: [WeightedFactorSource], direction: Direction = .merge,
                             baseFingerprint: String? = nil, ignoreFingerprint: Bool = false) throws(TensorMergeError) {
        _ = try MergePlan(base: base, adapters: adapters, direction: direction, baseFingerprint: ignoreFingerprint ? nil : baseFingerprint)
    }

    /// Folds (or unfolds) `adapters` into the tensors of `base`, writing every tensor to `output`
    /// (which the caller then finishes). `baseFingerprint`, when known, is compared with each
    /// adapter's recorded base unless `ignoreFingerprint`.
    @discardableResult
    public static func run(base: some TensorReader, adapters: [WeightedFactorSource], into output: some TensorWriter,
                           direction: Direction = .merge, baseFingerprint: String? = nil,
                           ignoreFingerprint: Bool = false) throws(TensorMergeError) -> TensorMergeSummary {
        let plan = try MergePlan(base: base, adapters: adapters, direction: direction,
                                 baseFingerprint: ignoreFingerprint ? nil : baseFingerprint)
        var summary = TensorMergeSummary(tensorCount: 0, changed: [], bytes: 0)
        let pipeline = TensorWritePipeline(output: output)
        for info in base.tensors {
            let bytes = try readBuffer(for: info, from: base, pipeline: pipeline)
            var digest: String?
            if let terms = plan.terms[info.name] {
                try fold(bytes, info: info, terms: terms, direction: direction)
                summary.changed.append(info.name)
            } else {
                digest = base.storedDigest(of: info.name)
            }
            do { try pipeline.write(info, bytes: bytes, digest: digest) } catch { throw .output(error) }
            summary.tensorCount += 1
            summary.bytes += bytes.count
        }
        do { try pipeline.finish() } catch { throw .output(error) }
        return summary
    }

    /// Reads the stored bytes of `info` into the pipeline's next buffer. A tensor beyond the
    /// memory budget is read the ordinary way first, so the reader refuses it naming its file.
    private static func readBuffer<Output>(for info: TensorInfo, from base: some TensorReader,
                                           pipeline: TensorWritePipeline<Output>) throws(TensorMergeError) -> UnsafeMutableRawBufferPointer {
        do {
            if MemoryBudget.refusal(count: info.byteCount, itemBytes: 1, for: info.name) != nil { _ = try base.rawBytes(of: info.name) }
            let buffer = pipeline.nextBuffer(byteCount: info.byteCount)
            try base.readRawBytes(of: info.name, into: buffer)
            return buffer
        } catch {
            throw .base(error)
        }
    }
}
