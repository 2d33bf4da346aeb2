import Foundation

/// How values map onto an axis.
public enum AxisScale: Sendable, Equatable {
    /// Equal distances for equal differences.
    case linear
    /// Equal distances for equal ratios (powers of ten); only positive values can be shown.
    case log10
}

/// An axis's range and its "nice" tick values: steps of 1, 2 or 5 times a power of ten on a
/// linear axis, whole powers of ten on a log axis. The range is widened to whole ticks.
public struct AxisTicks: Sendable, Equatable {
    /// The scale the ticks are for.
    public var scale: AxisScale
    /// The lowest value on the axis (the first tick).
    public var lower: Double
    /// The highest value on the axis (the last tick).
    public var upper: Double
    /// The tick values, ascending, from ``lower`` to ``upper``.
    public var values: [Double]
    /// The distance between ticks (in decades on a log axis).
    public var step: Double

    /// The most decades a log axis labels one by one; beyond that every second (third, …) decade.
    static let maximumLogTicks = 8

    /// Nice linear ticks covering `lower...upper` with about `targetCount` intervals. Equal or
    /// non-finite bounds give a small range around the value (or 0...1). `minimumStep` keeps
    /// ticks apart (1 for whole numbers such as epochs).
    public static func linear(_ lower: Double, _ upper: Double, targetCount: Int = 5, minimumStep: Double = 0) -> AxisTicks {
        var (low, high) = lower.isFinite && upper.isFinite ? (min(lower, upper), max(lower, upper)) : (0, 1)
        if high - low <= abs(high) * 1e-12 {
            let pad = low == 0 ? 1 : abs(low) * 0.1
            (low, high) = (low - pad, high + pad)
        }
        let step = max(niceStep((high - low) / Double(max(1, targetCount))), minimumStep)
        let first = (low / step).rounded(.down), last = (high / step).rounded(.up)
        let count = Int(last - first)
        let values = (0...max(1, count)).map { clean((first + Double($0)) * step, step: step) }
        return AxisTicks(scale: .linear, lower: values[0], upper: values[values.count - 1], values: values, step: step)
    }

    /// Ticks at powers of ten covering the positive range `lower...upper` (both must be > 0;
    /// otherwise 1...10).
    public static func log10(_ lower: Double, _ upper: Double) -> AxisTicks {
        guard lower > 0, upper > 0, lower.isFinite, upper.isFinite else { return log10(1, 10) }
        var first = Int(Foundation.log10(min(lower, upper)).rounded(.down))
        var last = Int(Foundation.log10(max(lower, upper)).rounded(.up))
        if last == first { last += 1 }
        let stride = max(1, Int((Double(last - first) / Double(maximumLogTicks)).rounded(.up)))
        first = Int((Double(first) / Double(stride)).rounded(.down)) * stride
        last = Int((Double(last) / Double(stride)).rounded(.up)) * stride
        let values = Swift.stride(from: first, through: last, by: stride).map { pow(10, Double($0)) }
        return AxisTicks(scale: .log10, lower: values[0], upper: values[values.count - 1], values: values, step: Double(stride))
    }

    /// Ticks for `values` (non-finite ones ignored; non-positive ones ignored on a log axis).
    public static func covering(_ values: [Double], scale: AxisScale, includingZero: Bool = false, targetCount: Int = 5,
                                minimumStep: Double = 0) -> AxisTicks {
        let usable = values.filter { $0.isFinite && (scale == .linear || $0 > 0) }
        switch scale {
        case .linear:
            var low = usable.min() ?? 0, high = usable.max() ?? 1
            if includingZero { (low, high) = (min(low, 0), max(high, 0)) }
            return linear(low, high, targetCount: targetCount, minimumStep: minimumStep)
        case .log10:
            return log10(usable.min() ?? 1, usable.max() ?? 10)
        }
    }

    /// Where `value` lies between ``lower`` (0) and ``upper`` (1); nil when it cannot be shown
    /// (not finite, or not positive on a log axis).
    public func fraction(of value: Double) -> Double? {
        guard value.isFinite else { return nil }
        switch scale {
        case .linear:
            return upper > lower ? (value - lower) / (upper - lower) : 0.5
        case .log10:
            guard value > 0 else { return nil }
            let low = Foundation.log10(lower), high = Foundation.log10(upper)
            return high > low ? (Foundation.log10(value) - low) / (high - low) : 0.5
        }
    }

    /// The label of tick `value`.
    public func label(_ value: Double) -> String {
        switch scale {
        case .linear: return PlotNumber.tick(value, step: step)
        case .log10:
            let exponent = Int(Foundation.log10(value).rounded())
            return (-3...4).contains(exponent) ? PlotNumber.tick(value, step: min(1, value)) : "1e\(exponent)"
        }
    }

    /// 1, 2, 5 or 10 times a power of ten, the smallest not below `rough`.
    static func niceStep(_ rough: Double) -> Double {
        guard rough > 0, rough.isFinite else { return 1 }
        let magnitude = pow(10, Foundation.log10(rough).rounded(.down))
        let residual = rough / magnitude
        let nice: Double = residual <= 1 ? 1 : residual <= 2 ? 2 : residual <= 5 ? 5 : 10
        return nice * magnitude
    }

    /// `value` without floating-point noise (0.30000000000000004 → 0.3), at the step's precision.
    private static func clean(_ value: Double, step: Double) -> Double {
        let decimals = max(0, Int((-Foundation.log10(step)).rounded(.up)) + 2)
        guard decimals < 15 else { return value }
        let factor = pow(10, Double(decimals))
        let result = (value * factor).rounded() / factor
        return result == 0 ? 0 : result
    }
}
