/// A point in SVG user units (pixels), y growing downwards.
public struct PlotPoint: Sendable, Equatable {
    /// Horizontal position.
    public var x: Double
    /// Vertical position (down is positive).
    public var y: Double

    /// A point from its coordinates.
    public init(x: Double, y: Double) { (self.x, self.y) = (x, y) }
}

/// A rectangle in SVG user units.
public struct PlotRect: Sendable, Equatable {
    /// Left edge.
    public var x: Double
    /// Top edge.
    public var y: Double
    /// Width (never negative when drawn).
    public var width: Double
    /// Height (never negative when drawn).
    public var height: Double

    /// A rectangle from its left, top, width and height.
    public init(x: Double, y: Double, width: Double, height: Double) {
        (self.x, self.y, self.width, self.height) = (x, y, width, height)
    }

    /// Right edge.
    public var maxX: Double { x + width }
    /// Bottom edge.
    public var maxY: Double { y + height }
    /// Horizontal centre.
    public var midX: Double { x + width / 2 }
    /// Vertical centre.
    public var midY: Double { y + height / 2 }

    /// The rectangle shrunk by the given margins.
    public func inset(top: Double = 0, left: Double = 0, bottom: Double = 0, right: Double = 0) -> PlotRect {
        PlotRect(x: x + left, y: y + top, width: max(0, width - left - right), height: max(0, height - top - bottom))
    }
}

/// Which point of a text its position names.
public enum TextAnchor: String, Sendable {
    /// The text starts at the position.
    case start
    /// The text is centred on the position.
    case middle
    /// The text ends at the position.
    case end
}

/// An SVG 1.1 document built element by element: every number written with fixed formatting and
/// every text escaped, so the same calls always give the same bytes and any label is safe.
/// Only features rsvg-convert, browsers and GitHub render alike are used (no CSS, no fonts
/// embedded, no dominant-baseline: vertical centring is computed).
public struct SVGDocument: Sendable {
    /// Width in pixels.
    public let width: Double
    /// Height in pixels.
    public let height: Double
    private var elements: [String] = []

    /// The font stack: DejaVu Sans where rsvg-convert runs (Debian), Arial/Helvetica elsewhere.
    public static let fontFamily = "DejaVu Sans, Arial, Helvetica, sans-serif"

    /// An empty white document of the given size.
    public init(width: Double, height: Double) {
        (self.width, self.height) = (max(1, width), max(1, height))
        rect(PlotRect(x: 0, y: 0, width: self.width, height: self.height), fill: .white)
    }

    /// A filled (and optionally outlined) rectangle; `tooltip` becomes its `<title>` in browsers.
    public mutating func rect(_ frame: PlotRect, fill: PlotColour?, stroke: PlotColour? = nil, strokeWidth: Double = 1,
                              tooltip: String? = nil) {
        let attributes = "x=\"\(n(frame.x))\" y=\"\(n(frame.y))\" width=\"\(n(max(0, frame.width)))\" height=\"\(n(max(0, frame.height)))\""
            + paint(fill: fill, stroke: stroke, strokeWidth: strokeWidth)
        if let tooltip {
            elements.append("<rect \(attributes)><title>\(SVGText.escaped(SVGText.label(tooltip, maximumCharacters: 200)))</title></rect>")
        } else {
            elements.append("<rect \(attributes)/>")
        }
    }

    /// A straight line.
    public mutating func line(from start: PlotPoint, to end: PlotPoint, colour: PlotColour, width: Double = 1, dashed: Bool = false) {
        let dash = dashed ? " stroke-dasharray=\"4 3\"" : ""
        elements.append("<line x1=\"\(n(start.x))\" y1=\"\(n(start.y))\" x2=\"\(n(end.x))\" y2=\"\(n(end.y))\" stroke=\"\(colour.svg)\" stroke-width=\"\(n(width))\"\(dash)/>")
    }

    /// An open line through `points` (nothing for fewer than two).
    public mutating func polyline(_ points: [PlotPoint], colour: PlotColour, width: Double = 2, dashed: Bool = false) {
        guard points.count >= 2 else { return }
        let list = points.map { "\(n($0.x)),\(n($0.y))" }.joined(separator: " ")
        let dash = dashed ? " stroke-dasharray=\"6 4\"" : ""
        elements.append("<polyline points=\"\(list)\" fill=\"none\" stroke=\"\(colour.svg)\" stroke-width=\"\(n(width))\" stroke-linejoin=\"round\"\(dash)/>")
    }

    /// A circle (a marker).
    public mutating func circle(center: PlotPoint, radius: Double, fill: PlotColour?, stroke: PlotColour? = nil, strokeWidth: Double = 1) {
        elements.append("<circle cx=\"\(n(center.x))\" cy=\"\(n(center.y))\" r=\"\(n(radius))\"" + paint(fill: fill, stroke: stroke, strokeWidth: strokeWidth) + "/>")
    }

    /// One line of text at `position`, vertically centred on it; cleaned, cut to
    /// `maximumCharacters` and escaped. `rotation` turns it (degrees, clockwise) about `position`.
    public mutating func text(_ text: String, at position: PlotPoint, size: Double = 12, anchor: TextAnchor = .start,
                              colour: PlotColour = .black, bold: Bool = false, rotation: Double = 0,
                              maximumCharacters: Int = SVGText.defaultMaximumCharacters) {
        let label = SVGText.label(text, maximumCharacters: maximumCharacters)
        guard !label.isEmpty else { return }
        // The baseline sits about 0.35 em below the centre of a sans-serif line of digits and lower case.
        let baseline = position.y + size * 0.35
        var attributes = "x=\"\(n(position.x))\" y=\"\(n(baseline))\" font-size=\"\(n(size))\" fill=\"\(colour.svg)\""
        if anchor != .start { attributes += " text-anchor=\"\(anchor.rawValue)\"" }
        if bold { attributes += " font-weight=\"bold\"" }
        if rotation != 0 { attributes += " transform=\"rotate(\(n(rotation)) \(n(position.x)) \(n(position.y)))\"" }
        elements.append("<text \(attributes)>\(SVGText.escaped(label))</text>")
    }

    /// The finished document.
    public var svg: String {
        let header = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(n(width))\" height=\"\(n(height))\" "
            + "viewBox=\"0 0 \(n(width)) \(n(height))\" font-family=\"\(Self.fontFamily)\">\n"
        return header + elements.joined(separator: "\n") + "\n</svg>\n"
    }

    private func paint(fill: PlotColour?, stroke: PlotColour?, strokeWidth: Double) -> String {
        var result = " fill=\"\(fill?.svg ?? "none")\""
        if let stroke { result += " stroke=\"\(stroke.svg)\" stroke-width=\"\(n(strokeWidth))\"" }
        return result
    }

    private func n(_ value: Double) -> String { PlotNumber.coordinate(value) }
}
