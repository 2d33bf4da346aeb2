import AdapterCore

/// Why adapters could not be merged into (or removed from) a checkpoint.
public enum MergeError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The adapter was trained on another base.
    case fingerprintMismatch(adapter: String, expected: String, base: String)
    /// The adapter names a layer the base does not have.
    case missingLayer(adapter: String, layer: String, baseLayers: [String])
    /// A factor's shape does not fit the base layer.
    case shapeMismatch(adapter: String, layer: String, problem: String)
    /// DoRA sets absolute magnitudes, so it cannot be stacked with another adapter.
    case doraCombined(count: Int)
    /// The result would hold NaN or infinity.
    case nonFinite(layer: String)
    /// An adapter's factors, magnitudes, scaling or the user's weight are NaN or infinite.
    case nonFiniteInput(adapter: String, layer: String?, what: String)
    /// The output path names one of the inputs, which must never be modified.
    case outputIsInput(path: String)
    /// The operation is not defined for this adapter (e.g. unmerging DoRA).
    case notInvertible(reason: String)
    /// The adapter targets a tensor the base does not have (named by its module).
    case missingTarget(adapter: String, module: String, tensor: String, baseTensorCount: Int)
    /// Two adapters disagree on how a base weight is laid out (`[out, in]` or `[in, out]`).
    case layoutConflict(adapter: String, tensor: String, layout: String, other: String)
    /// The merged values do not fit the tensor's own dtype (e.g. above 65504 in float16).
    case outOfRange(tensor: String, dtype: String, largest: Double)

    /// The single error line shown to users.
    public var description: String {
        switch self {
        case .fingerprintMismatch(let adapter, let expected, let base):
            return "\(adapter): trained on the base with fingerprint \(expected), but the base given has fingerprint \(base)"
        case .missingLayer(let adapter, let layer, let baseLayers):
            return "\(adapter): adapts layer \"\(layer)\", which the base does not have (base layers: \(baseLayers.joined(separator: ", ")))"
        case .shapeMismatch(let adapter, let layer, let problem):
            return "\(adapter): layer \"\(layer)\": \(problem)"
        case .doraCombined(let count):
            return "a DoRA adapter cannot be merged together with \(count - 1) other adapter(s): DoRA's magnitude vector is absolute, not a delta, so the result would not be any adapter's model; merge it alone"
        case .nonFinite(let layer):
            return "merging produced NaN or infinity in layer \"\(layer)\"; nothing was written"
        case .nonFiniteInput(let adapter, let layer, let what):
            return "\(adapter): \(layer.map { "layer \"\($0)\": " } ?? "")\(what) must be finite but hold(s) NaN or infinity; nothing was written"
        case .outputIsInput(let path):
            return "\(path): is also an input; write the result to another file (inputs are never modified)"
        case .notInvertible(let reason):
            return reason
        case .missingTarget(let adapter, let module, let tensor, let count):
            return "\(adapter): adapts module \"\(module)\" (tensor \"\(tensor)\"), which the base does not have (it has \(count) tensors); is this adapter for another model?"
        case .layoutConflict(let adapter, let tensor, let layout, let other):
            return "\(adapter): tensor \"\(tensor)\": lays the weight out as \(layout), but another adapter says \(other); adapters merged together must agree on the base"
        case .outOfRange(let tensor, let dtype, let largest):
            return "merging gives tensor \"\(tensor)\" a value of magnitude \(largest), beyond what \(dtype) holds; nothing was written"
        }
    }
}
