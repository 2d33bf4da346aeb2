import AdapterCore
import AdapterMethods

/// One side of a target in an adapter diff: how that adapter adapts the tensor.
public struct TargetSummary: Sendable, Codable, Equatable {
    /// The rank.
    public var rank: Int
    /// The scaling.
    public var scaling: Double
    /// `out_in` or `in_out`.
    public var layout: String
    /// Each factor's dtype and shape, by role.
    public var factors: [String: TensorSummary]
}

/// How two adapters differ on one base tensor.
public struct TargetDifference: Sendable, Codable, Equatable {
    /// The base tensor adapted.
    public var tensor: String
    /// Which adapters target it.
    public var presence: TensorDifference.Presence
    /// The first adapter's target (nil when it does not adapt the tensor).
    public var first: TargetSummary?
    /// The second adapter's target.
    public var second: TargetSummary?
    /// Rank, scaling, layout and every factor's dtype, shape and values are identical.
    public var factorsIdentical: Bool
    /// The effective updates ΔW = fold(W) − W compared, `[out, in]` (nil when they cannot be
    /// computed: target on one side only, different shapes, or a method whose ΔW depends on the
    /// base weight and no base was given).
    public var update: WeightComparison?
    /// For each role present on both sides with the same shape, max |Δ| of its values (what is
    /// compared when ``update`` is nil).
    public var factorMaxAbsolute: [String: Double]
    /// Same effect within the tolerance (updates elementwise; factors elementwise when no update).
    public var isSame: Bool

    /// Factors that differ while the updates agree (B·A = (BQ)(Q⁻¹A)): the same adapter, re-factored.
    public var isRefactored: Bool { !factorsIdentical && isSame }
}

/// Two adapters compared target by target.
public struct TensorAdapterDifference: Sendable, Codable, Equatable {
    /// The labels (paths) of the two adapters.
    public var first: String, second: String
    /// Their methods (registry names).
    public var methods: [String]
    /// Their recorded base fingerprints (nil when not recorded).
    public var baseFingerprints: [String?]
    /// The tolerance used.
    public var tolerance: DiffTolerance
    /// Every target of the first adapter in order, then those only the second has.
    public var targets: [TargetDifference]

    /// Same method, same recorded base, and every target on both sides with the same effect.
    public var isSame: Bool { methods[0] == methods[1] && baseFingerprints[0] == baseFingerprints[1] && targets.allSatisfy(\.isSame) }

    /// One line: the verdict, then what differs.
    public var summaryLine: String {
        var parts: [String] = []
        if methods[0] != methods[1] { parts.append("methods differ (\(methods[0]) vs \(methods[1]))") }
        if baseFingerprints[0] != baseFingerprints[1] { parts.append("made for different bases") }
        let refactored = targets.filter(\.isRefactored).map(\.tensor)
        if !refactored.isEmpty { parts.append("factors differ but the updates match in \(refactored.joined(separator: ", "))") }
        let differing = targets.filter { !$0.isSame }
        let verdict = isSame ? "same effect within atol \(tolerance.atol), rtol \(tolerance.rtol)"
            : "\(differing.count) of \(targets.count) targets differ" + (differing.isEmpty ? "" : " (\(differing.map(\.tensor).joined(separator: ", ")))")
        return "\(first) and \(second): \(verdict)" + (parts.isEmpty ? "" : "; " + parts.joined(separator: "; "))
    }
}

/// Compares two low-rank adapters (v2 files, v1 files through their view) by what they do to
/// each tensor: the method's own effective ΔW (``LowRankMethod/delta(of:out:inputs:factors:scaling:target:)``).
/// For an additive method ΔW does not depend on the base weight and is computed on zeros; for
/// another (DoRA) it is computed on `base`'s weight when a base is given, else the factors are
/// compared one by one.
public enum TensorAdapterDiff {
    /// Diffs `a` against `b`; `base`, when given, supplies the weights of non-additive methods.
    /// ΔM and ΔD of the updates are taken along `normAxis`; `figure` collects what a diff figure draws.
    public static func compare(_ a: any LowRankFactorSource, _ b: any LowRankFactorSource, labels: (String, String),
                               base: (any TensorReader)? = nil, tolerance: DiffTolerance = DiffTolerance(),
                               normAxis: NormAxis = .output, computeRank: Bool = true, algorithm: SVDAlgorithm = .randomized,
                               figure: DiffFigureRecorder? = nil) throws -> TensorAdapterDifference {
        let methodA = try LowRankMethods.named(a.manifest.method), methodB = try LowRankMethods.named(b.manifest.method)
        let targetsA = a.manifest.targetsByTensor, targetsB = b.manifest.targetsByTensor
        let names = a.manifest.targets.map(\.tensor) + b.manifest.targets.map(\.tensor).filter { targetsA[$0] == nil }
        var differences: [TargetDifference] = []
        for name in names {
            let ta = targetsA[name], tb = targetsB[name]
            var entry = TargetDifference(tensor: name, presence: ta == nil ? .second : (tb == nil ? .first : .both),
                                         first: ta.map(summary), second: tb.map(summary), factorsIdentical: false,
                                         update: nil, factorMaxAbsolute: [:], isSame: false)
            if let ta, let tb {
                let valuesA = try values(of: ta, in: a, method: methodA), valuesB = try values(of: tb, in: b, method: methodB)
                let sameFactors = entry.first == entry.second && valuesA.values == valuesB.values
                entry.factorsIdentical = methodA == methodB && sameFactors
                var factorsWithin = methodA == methodB && entry.first?.factors == entry.second?.factors
                for (role, x) in valuesA.values {
                    guard let y = valuesB.values[role], x.count == y.count else { continue }
                    entry.factorMaxAbsolute[role] = zip(x, y).reduce(0) { max($0, abs($1.1 - $1.0)) }
                    if !zip(x, y).allSatisfy({ abs($1 - $0) <= tolerance.atol + tolerance.rtol * abs($0) }) { factorsWithin = false }
                }
                if let shape = weightShape(ta, methodA, name), let other = weightShape(tb, methodB, name), shape == other,
                   let weight = try baseWeight(name, shape: shape, layout: ta.layout, needed: !methodA.isAdditive || !methodB.isAdditive, base: base) {
                    let deltaA = try methodA.delta(of: weight, out: shape.out, inputs: shape.inputs, factors: valuesA, scaling: ta.scaling, target: name)
                    let deltaB = try methodB.delta(of: weight, out: shape.out, inputs: shape.inputs, factors: valuesB, scaling: tb.scaling, target: name)
                    let rank = computeRank && deltaA.count <= TensorSetDiff.rankElementLimit
                    let detailed = try WeightComparison.compareInDetail(deltaA, deltaB, rows: shape.out, columns: shape.inputs, normAxis: normAxis,
                                                                        tolerance: tolerance, computeRank: rank, algorithm: algorithm, what: "the update difference of \"\(name)\"")
                    figure?.record(DiffFigureModule.name(ofTensor: name), rows: shape.out, columns: shape.inputs, detailed,
                                   rankRequested: computeRank, source: .adapterTargets)
                    entry.update = detailed.comparison
                    entry.isSame = detailed.comparison.withinTolerance
                } else {
                    entry.isSame = factorsWithin && ta.rank == tb.rank && ta.scaling == tb.scaling
                }
                if entry.factorsIdentical { entry.isSame = true }
            }
            differences.append(entry)
        }
        return TensorAdapterDifference(first: labels.0, second: labels.1, methods: [methodA.name, methodB.name],
                                       baseFingerprints: [a.manifest.baseFingerprint, b.manifest.baseFingerprint],
                                       tolerance: tolerance, targets: differences)
    }

    private static func summary(_ target: LowRankTarget) -> TargetSummary {
        TargetSummary(rank: target.rank, scaling: target.scaling, layout: target.layout.rawValue, factors: target.factors.mapValues(TensorSummary.init))
    }

    /// Every role's values of `target` in `source`, as the method's factors.
    private static func values(of target: LowRankTarget, in source: any LowRankFactorSource, method: any LowRankMethod.Type) throws -> LowRankFactors {
        var values: [String: [Double]] = [:]
        for role in target.factors.keys { values[role] = try source.factorValues(tensor: target.tensor, role: role) }
        return LowRankFactors(rank: target.rank, values: values)
    }

    /// The adapted weight's `[out, in]`, found from the factors: the shape whose method factor
    /// shapes are exactly the stored ones (A is `[rank, in]` and B `[out, rank]` in every method).
    private static func weightShape(_ target: LowRankTarget, _ method: any LowRankMethod.Type, _ name: String) -> (out: Int, inputs: Int)? {
        guard let inputs = target.factors["A"]?.shape.last, let out = target.factors["B"]?.shape.first else { return nil }
        let expected = method.factorShapes(out: out, inputs: inputs, rank: target.rank)
        guard expected.allSatisfy({ target.factors[$0.role]?.shape == $0.shape }) else { return nil }
        return (out, inputs)
    }

    /// Zeros when no method needs the weight; else the base's weight as `[out, in]` float64, or nil
    /// when there is no base (or it lacks a fitting tensor).
    private static func baseWeight(_ name: String, shape: (out: Int, inputs: Int), layout: WeightLayout, needed: Bool,
                                   base: (any TensorReader)?) throws -> [Double]? {
        guard needed else { return [Double](repeating: 0, count: shape.out * shape.inputs) }
        guard let base, let info = base.info(named: name), info.dtype.isFloatingPoint,
              info.shape == (layout == .outputMajor ? [shape.out, shape.inputs] : [shape.inputs, shape.out]) else { return nil }
        let bytes = try base.rawBytes(of: name)
        var weight = [Double](repeating: 0, count: info.elementCount)
        bytes.withUnsafeBytes { raw in
            weight.withUnsafeMutableBufferPointer { StoredWeight.widen(raw, dtype: info.dtype, layout: layout, out: shape.out, inputs: shape.inputs, into: $0) }
        }
        return weight
    }
}
