import Foundation

/// An opaque sRGB colour.
public struct PlotColour: Sendable, Equatable {
    /// Red, 0–255.
    public var red: UInt8
    /// Green, 0–255.
    public var green: UInt8
    /// Blue, 0–255.
    public var blue: UInt8

    /// A colour from its 0–255 channels.
    public init(red: UInt8, green: UInt8, blue: UInt8) {
        (self.red, self.green, self.blue) = (red, green, blue)
    }

    /// A colour from `0xRRGGBB`.
    public init(hex: UInt32) {
        self.init(red: UInt8((hex >> 16) & 0xFF), green: UInt8((hex >> 8) & 0xFF), blue: UInt8(hex & 0xFF))
    }

    /// `#rrggbb`, as SVG writes it.
    public var svg: String { String(format: "#%02x%02x%02x", red, green, blue) }

    /// Relative luminance (0 black … 1 white), to choose readable text on top of the colour.
    public var luminance: Double {
        func linear(_ channel: UInt8) -> Double {
            let c = Double(channel) / 255
            return c <= 0.04045 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
        }
        return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
    }

    /// Black or white, whichever reads better on this colour.
    public var contrastingText: PlotColour { luminance > 0.18 ? .black : .white }

    /// Black.
    public static let black = PlotColour(hex: 0x000000)
    /// White.
    public static let white = PlotColour(hex: 0xFFFFFF)
    /// The grey of axes and tick labels.
    public static let axis = PlotColour(hex: 0x444444)
    /// The light grey of grid lines.
    public static let grid = PlotColour(hex: 0xE3E3E3)
    /// The grey of notes and "no data".
    public static let note = PlotColour(hex: 0x666666)
}

/// The colours charts use: distinct series colours safe for colour-blind readers, and a
/// sequential scale for heat maps.
public enum PlotPalette {
    /// Okabe & Ito's colour-blind-safe qualitative palette (without its yellow and black, which
    /// read badly as thin lines on white), in the order series get them.
    public static let series: [PlotColour] = [
        PlotColour(hex: 0x0072B2), PlotColour(hex: 0xD55E00), PlotColour(hex: 0x009E73),
        PlotColour(hex: 0xCC79A7), PlotColour(hex: 0xE69F00), PlotColour(hex: 0x56B4E9),
    ]

    /// The colour of series `index` (repeating after ``series``'s count).
    public static func seriesColour(_ index: Int) -> PlotColour {
        series[((index % series.count) + series.count) % series.count]
    }

    /// Samples of viridis (matplotlib's perceptually uniform, colour-blind-safe map) at 0, 1/8, …, 1.
    static let viridis: [PlotColour] = [
        PlotColour(hex: 0x440154), PlotColour(hex: 0x46327E), PlotColour(hex: 0x365C8D),
        PlotColour(hex: 0x277F8E), PlotColour(hex: 0x1FA187), PlotColour(hex: 0x4AC16D),
        PlotColour(hex: 0x9FDA3A), PlotColour(hex: 0xFDE725),
    ]

    /// The sequential colour at `fraction` (0 … 1, clamped): light yellow for 0 through green and
    /// blue to dark purple for 1, so that larger values look darker on white paper (reversed viridis).
    public static func sequential(_ fraction: Double) -> PlotColour {
        let t = 1 - (fraction.isFinite ? min(1, max(0, fraction)) : 0)
        let position = t * Double(viridis.count - 1)
        let index = min(viridis.count - 2, Int(position))
        let local = position - Double(index)
        let a = viridis[index], b = viridis[index + 1]
        func mix(_ x: UInt8, _ y: UInt8) -> UInt8 { UInt8((Double(x) + (Double(y) - Double(x)) * local).rounded()) }
        return PlotColour(red: mix(a.red, b.red), green: mix(a.green, b.green), blue: mix(a.blue, b.blue))
    }
}
