import AdapterCore
import AdapterMethods

/// Which adapters change which base tensors, checked from metadata alone before anything is
/// read or written: every method is known, a non-additive method is merged alone, every user
/// weight and effective scaling is finite, every target exists in the base (else the module is
/// named) and fits it (``LowRankMethods/validate(_:method:base:)``), adapters agree on layouts,
/// and each adapter was made for this base when both fingerprints are known.
struct MergePlan {
    /// One adapter's update of one tensor.
    struct Term {
        /// The adapter's method.
        var method: any LowRankMethod.Type
        /// The target (rank, layout, factor shapes).
        var target: LowRankTarget
        /// The target's scaling × the user's weight.
        var scaling: Double
        /// Where the factor values come from.
        var source: any LowRankFactorSource
        /// The adapter's label, for errors.
        var label: String
    }

    /// The terms of each targeted tensor, in the order they apply.
    let terms: [String: [Term]]

    /// Checks `adapters` against `base`; `baseFingerprint` (nil: unknown or ignored) against each
    /// adapter's recorded base.
    init(base: some TensorReader, adapters: [WeightedFactorSource], direction: TensorMerge.Direction,
         baseFingerprint: String?) throws(TensorMergeError) {
        var terms: [String: [Term]] = [:]
        for adapter in direction == .merge ? adapters : adapters.reversed() {
            let manifest = adapter.source.manifest
            guard adapter.weight.isFinite else {
                throw .merge(.nonFiniteInput(adapter: adapter.label, layer: nil, what: "the adapter's weight"))
            }
            let method: any LowRankMethod.Type
            do { method = try LowRankMethods.named(manifest.method) } catch { throw .method(adapter: adapter.label, error) }
            if !method.isAdditive, adapters.count > 1 {
                throw .method(adapter: adapter.label, .notCombinable(method: method.name, count: adapters.count))
            }
            if let expected = manifest.baseFingerprint, let baseFingerprint, expected != baseFingerprint {
                throw .merge(.fingerprintMismatch(adapter: adapter.label, expected: expected, base: baseFingerprint))
            }
            var seen: Set<String> = []
            for target in manifest.targets {
                let name = target.tensor
                guard let info = base.info(named: name) else {
                    throw .merge(.missingTarget(adapter: adapter.label, module: Self.module(of: name), tensor: name, baseTensorCount: base.tensors.count))
                }
                guard seen.insert(name).inserted else {
                    throw .merge(.shapeMismatch(adapter: adapter.label, layer: name, problem: "the adapter targets this tensor twice"))
                }
                do { try LowRankMethods.validate(target, method: method, base: info) } catch { throw .method(adapter: adapter.label, error) }
                let scaling = target.scaling * adapter.weight
                guard scaling.isFinite else {
                    throw .merge(.nonFiniteInput(adapter: adapter.label, layer: name, what: "scaling × weight"))
                }
                if let other = terms[name]?.first, other.target.layout != target.layout {
                    throw .merge(.layoutConflict(adapter: adapter.label, tensor: name, layout: target.layout.rawValue, other: other.target.layout.rawValue))
                }
                terms[name, default: []].append(Term(method: method, target: target, scaling: scaling, source: adapter.source, label: adapter.label))
            }
        }
        self.terms = terms
    }

    /// The module a tensor belongs to: its name up to the last `.` (`model.layers.0.mlp.up_proj`).
    static func module(of tensor: String) -> String {
        guard let dot = tensor.lastIndex(of: ".") else { return tensor }
        return String(tensor[..<dot])
    }
}
