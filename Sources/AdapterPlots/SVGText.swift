/// Turning text that comes from files (layer, class and tensor names) into safe SVG text.
public enum SVGText {
    /// The longest label drawn, in characters, unless a caller asks for fewer: longer names are cut
    /// with "…" so that one odd tensor name cannot push a chart off its panel.
    public static let defaultMaximumCharacters = 48

    /// `text` with XML's special characters escaped (`&`, `<`, `>`, `"`, `'`), control characters
    /// and characters XML 1.0 forbids removed: safe inside an element or an attribute value.
    public static func escaped(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            default: if isAllowed(scalar) { result.unicodeScalars.append(scalar) }
            }
        }
        return result
    }

    /// `text` made fit for one line of a chart: control characters removed, runs of white space
    /// made one space, and cut to `maximumCharacters` with a trailing "…". Not yet escaped.
    public static func label(_ text: String, maximumCharacters: Int = defaultMaximumCharacters) -> String {
        var cleaned = ""
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.properties.isWhitespace {
                pendingSpace = !cleaned.isEmpty
            } else if isAllowed(scalar) {
                if pendingSpace { cleaned.unicodeScalars.append(" ") }
                pendingSpace = false
                cleaned.unicodeScalars.append(scalar)
            }
        }
        let limit = max(1, maximumCharacters)
        guard cleaned.count > limit else { return cleaned }
        return String(cleaned.prefix(limit - 1)) + "…"
    }

    /// Roughly how wide `text` is drawn at `fontSize` in a sans-serif font (DejaVu Sans, Arial,
    /// Helvetica average about 0.6 em per character); used for layout, never for clipping.
    public static func estimatedWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * averageCharacterWidth
    }

    /// The number of characters of about `fontSize` that fit in `width`.
    public static func characters(fitting width: Double, fontSize: Double) -> Int {
        max(1, Int(width / (fontSize * averageCharacterWidth)))
    }

    /// The number of characters of a label turned by 45° that fit when it may reach `room` pixels
    /// down (or sideways) from where it is anchored.
    public static func characters(fittingDiagonal room: Double, fontSize: Double) -> Int {
        characters(fitting: max(0, room) * 2.0.squareRoot(), fontSize: fontSize)
    }

    /// Average advance of a sans-serif character, in em (measured on DejaVu Sans digits and lower case).
    static let averageCharacterWidth = 0.6

    /// Whether XML 1.0 allows `scalar` and it is not a control character (tab, newline included:
    /// a label is one line).
    private static func isAllowed(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x20 || (0x7F...0x9F).contains(value) { return false }
        if (0xFFFE...0xFFFF).contains(value) || (0xD800...0xDFFF).contains(value) { return false }
        return true
    }
}
