import AdapterCore

/// One way of adapting a 2-D weight with low-rank factors (LoRA, DoRA, …): the factor roles it
/// stores, how it folds into and out of a weight, and how PEFT names it. Everything that differs
/// between methods lives in the conforming type; the rest of adaptool asks the method instead of
/// testing its name. A new method is one new file conforming to this protocol plus one line in
/// ``LowRankMethods/registered``.
///
/// Weights are handled as `[out, in]` row-major float64 (callers transpose `[in, out]` layouts and
/// widen stored dtypes exactly before calling, and round once after).
public protocol LowRankMethod: Sendable {
    /// The registry name, stored as the adapter's `method` attribute.
    static var name: String { get }
    /// Whether the fold adds a delta, so several adapters may be merged together (false when the
    /// method sets absolute values, as DoRA's magnitudes do).
    static var isAdditive: Bool { get }
    /// Whether each output row of the folded weight depends only on that row of W and the rows of
    /// the factors whose leading dimension is `out` (LoRA, PEFT's DoRA), so a merge may fold a
    /// large weight in cache-sized blocks of rows. Defaults to false (the whole weight at once).
    static var foldsRowsIndependently: Bool { get }
    /// Each factor role with its shape, for a base weight `[out, in]` at `rank`.
    static func factorShapes(out: Int, inputs: Int, rank: Int) -> [(role: String, shape: [Int])]
    /// Folds the adapter into `weight` in place.
    static func fold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int,
                     factors: LowRankFactors, scaling: Double, target: String) throws(MethodError)
    /// Undoes ``fold(_:out:inputs:factors:scaling:target:)`` in place, or throws
    /// ``MethodError/notInvertible(method:reason:)``.
    static func unfold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int,
                       factors: LowRankFactors, scaling: Double, target: String) throws(MethodError)
    /// PEFT's state-dict key suffixes for each role (the first per role is the one written).
    static var peftKeySuffixes: [(suffix: String, role: String)] { get }
    /// Whether PEFT can hold this method (a PEFT folder can be imported as it or exported from it).
    static var hasPEFTForm: Bool { get }
    /// The `adapter_config.json` flag that selects this method (`use_dora`), nil for plain LoRA.
    static var peftConfigFlag: String? { get }
    /// The factors besides A and B that make an adapter reproduce `tuned` when A and B already
    /// approximate `tuned − base` (extraction): none for LoRA, the row norms of `tuned` for DoRA.
    static func extractionFactors(tuned: UnsafeBufferPointer<Double>, out: Int, inputs: Int) -> [String: [Double]]
}

extension LowRankMethod {
    /// Methods fold the whole weight at once unless they say otherwise.
    public static var foldsRowsIndependently: Bool { false }

    /// Most methods have a PEFT form.
    public static var hasPEFTForm: Bool { true }

    /// The role names, in storage order.
    public static var roles: [String] { factorShapes(out: 1, inputs: 1, rank: 1).map(\.role) }

    /// The effective ΔW = fold(W) − W, `[out, in]` row-major: what the adapter changes in this
    /// weight (for LoRA scaling·B·A; for DoRA it depends on W).
    public static func delta(of weight: [Double], out: Int, inputs: Int, factors: LowRankFactors,
                             scaling: Double, target: String) throws(MethodError) -> [Double] {
        var folded = weight
        try folded.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<Double>) throws(MethodError) in
            try fold(buffer, out: out, inputs: inputs, factors: factors, scaling: scaling, target: target)
        }
        for index in folded.indices { folded[index] -= weight[index] }
        return folded
    }
}

/// A target's factor values by role, widened to float64, row-major.
public struct LowRankFactors: Sendable {
    /// The rank.
    public let rank: Int
    /// Values by role (`"A"`, `"B"`, …).
    public let values: [String: [Double]]
    /// Roles whose values are known to be finite (``checkFinite(roles:target:)``), so ``require``
    /// does not scan them again: a merge folding one weight in many row blocks checks once.
    public private(set) var knownFinite: Set<String>

    /// Creates the factors of one target; `knownFinite` carries over an earlier ``checkFinite(roles:target:)``
    /// (pass it only for values taken from factors so checked).
    public init(rank: Int, values: [String: [Double]], knownFinite: Set<String> = []) {
        (self.rank, self.values, self.knownFinite) = (rank, values, knownFinite)
    }

    /// Checks, in `roles` order, that each present role holds only finite numbers, and remembers it.
    public mutating func checkFinite(roles: [String], target: String) throws(MethodError) {
        for role in roles where !knownFinite.contains(role) {
            guard let found = values[role] else { continue }
            guard found.allSatisfy(\.isFinite) else { throw .notFinite(tensor: target, what: role) }
            knownFinite.insert(role)
        }
    }

    /// The values of `role`, if present.
    public subscript(role: String) -> [Double]? { values[role] }

    /// The values of `role`, which must hold `count` finite numbers.
    public func require(_ role: String, count: Int, target: String) throws(MethodError) -> [Double] {
        guard let found = values[role] else { throw .missingFactor(tensor: target, role: role) }
        guard found.count == count else { throw .factorShape(tensor: target, role: role, expected: [count], found: [found.count]) }
        guard knownFinite.contains(role) || found.allSatisfy(\.isFinite) else { throw .notFinite(tensor: target, what: role) }
        return found
    }
}
