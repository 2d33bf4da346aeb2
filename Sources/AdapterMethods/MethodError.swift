import AdapterCore

/// Why an adapter method cannot be applied to a target. Each case carries the tensor it concerns
/// and the structured facts; ``description`` words them as one line.
public enum MethodError: Error, Equatable, CustomStringConvertible {
    /// No registered method has this name.
    case unknownMethod(name: String, known: [String])
    /// The targeted base tensor is not a 2-D floating-point weight.
    case baseNotAWeight(tensor: String, shape: [Int], dtype: TensorDType)
    /// A factor the method needs is absent.
    case missingFactor(tensor: String, role: String)
    /// A factor the method does not know is present.
    case unexpectedFactor(tensor: String, role: String, expected: [String])
    /// A factor has the wrong shape for the base weight and rank.
    case factorShape(tensor: String, role: String, expected: [Int], found: [Int])
    /// A factor is stored in an integer type.
    case factorNotFloat(tensor: String, role: String, dtype: TensorDType)
    /// The rank is not positive.
    case badRank(tensor: String, rank: Int)
    /// The scaling is NaN or infinite.
    case badScaling(tensor: String, scaling: Double)
    /// A factor value or a result is NaN or infinite.
    case notFinite(tensor: String, what: String)
    /// A row of W + ΔW has norm zero, so DoRA's direction is undefined.
    case zeroNorm(tensor: String, row: Int)
    /// The method's fold cannot be undone.
    case notInvertible(method: String, reason: String)
    /// A non-additive method was combined with other adapters.
    case notCombinable(method: String, count: Int)

    /// One line saying what is wrong and what was expected.
    public var description: String {
        func dims(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
        switch self {
        case .unknownMethod(let name, let known):
            return "unknown adapter method \"\(name)\"; known: \(known.joined(separator: ", "))"
        case .baseNotAWeight(let tensor, let shape, let dtype):
            return "\(tensor): the base tensor is \(dtype.rawValue) \(dims(shape)); an adapter target must be a 2-D floating-point weight"
        case .missingFactor(let tensor, let role):
            return "\(tensor): the adapter has no \(role) for this target"
        case .unexpectedFactor(let tensor, let role, let expected):
            return "\(tensor): unexpected factor \"\(role)\"; this method uses \(expected.joined(separator: ", "))"
        case .factorShape(let tensor, let role, let expected, let found):
            return "\(tensor): \(role) is \(dims(found)), the base weight needs \(dims(expected))"
        case .factorNotFloat(let tensor, let role, let dtype):
            return "\(tensor): \(role) is stored as \(dtype.rawValue); factors must be floating point"
        case .badRank(let tensor, let rank):
            return "\(tensor): rank \(rank); expected a positive rank"
        case .badScaling(let tensor, let scaling):
            return "\(tensor): scaling \(scaling); expected a finite number"
        case .notFinite(let tensor, let what):
            return "\(tensor): \(what) is NaN or infinite"
        case .zeroNorm(let tensor, let row):
            return "\(tensor): row \(row) of W + ΔW has norm 0, so its DoRA direction is undefined"
        case .notInvertible(let method, let reason):
            return "\(method) cannot be unmerged: \(reason)"
        case .notCombinable(let method, let count):
            return "a \(method) adapter cannot be merged together with \(count - 1) other adapter(s); merge it alone"
        }
    }
}
