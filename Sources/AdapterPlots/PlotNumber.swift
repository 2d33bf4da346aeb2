import Foundation

/// Fixed, locale-independent number formatting, so the same data always gives the same bytes.
public enum PlotNumber {
    /// A coordinate or size in the SVG: at most two decimals, no trailing zeros, never "-0".
    public static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let rounded = (value * 100).rounded() / 100
        if rounded == 0 { return "0" }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// A tick label for `value` on an axis whose ticks are `step` apart: as many decimals as the
    /// step needs; exponent notation for very large or very small magnitudes.
    public static func tick(_ value: Double, step: Double) -> String {
        guard value.isFinite else { return "" }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e6 || magnitude < 1e-4 { return scientific(value) }
        let decimals = step > 0 && step.isFinite ? min(6, max(0, Int((-log10(step)).rounded(.up)))) : 2
        return String(format: "%.\(decimals)f", value)
    }

    /// `value` with `decimals` decimals (for annotations such as "87.5").
    public static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+Inf" : "-Inf") }
        let text = String(format: "%.\(max(0, min(decimals, 12)))f", value)
        return text.hasPrefix("-") && Double(text) == 0 ? String(text.dropFirst()) : text
    }

    /// `value` with three significant digits (for annotations of values of any magnitude).
    public static func significant(_ value: Double) -> String {
        guard value.isFinite else { return fixed(value, decimals: 0) }
        if value == 0 { return "0" }
        let magnitude = abs(value)
        if magnitude >= 1e5 || magnitude < 1e-3 { return scientific(value) }
        let decimals = max(0, 2 - Int(floor(log10(magnitude))))
        return fixed(value, decimals: decimals)
    }

    /// ``significant(_:)`` without trailing zeros ("8", "0.005", "87.5"): for settings in titles.
    public static func compact(_ value: Double) -> String {
        var text = significant(value)
        guard text.contains("."), !text.contains("e") else { return text }
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `1e-5`, `2.5e7`: exponent notation with up to two significant decimals.
    static func scientific(_ value: Double) -> String {
        let exponent = Int(floor(log10(abs(value))))
        var mantissa = String(format: "%.2f", value / pow(10, Double(exponent)))
        if mantissa.hasPrefix("10.") || mantissa.hasPrefix("-10.") {
            return scientific(value.sign == .minus ? -pow(10, Double(exponent + 1)) : pow(10, Double(exponent + 1)))
        }
        while mantissa.hasSuffix("0") { mantissa.removeLast() }
        if mantissa.hasSuffix(".") { mantissa.removeLast() }
        return "\(mantissa)e\(exponent)"
    }
}
