import AdapterTestSupport
import Foundation
import Testing

/// Renders the SVG files adaptool writes with a real renderer (rsvg-convert, from Debian's
/// librsvg2-bin) and reads the PNG back with Tests/Scripts/png_probe.py.
enum PlotRendering {
    /// rsvg-convert on PATH, or nil (the rendering tests then skip, saying why).
    static let renderer: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/rsvg-convert" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    /// Why rendering tests are skipped.
    static let skipReason: Comment = "rsvg-convert is not installed (apt-get install librsvg2-bin): SVG rendering tests skipped"

    /// What png_probe.py reports about a PNG.
    struct Probe: Decodable {
        var width: Int
        var height: Int
        /// Pixels visibly not white.
        var nonWhite: Int
        /// The RGB of each `--at` pixel.
        var at: [[Int]]
        /// Pixels close to each `--near` colour (lower-case rrggbb).
        var near: [String: Int]

        enum CodingKeys: String, CodingKey { case width, height, nonWhite = "non_white", at, near }
    }

    /// Renders `svg` to a PNG beside it at 1 px per SVG unit; returns the PNG path.
    static func render(_ svg: String) throws -> String {
        let png = svg + ".png"
        let result = try ExternalProcess.run(renderer ?? "rsvg-convert", [svg, "-o", png])
        guard result.status == 0 else { throw RenderingFailure(message: "rsvg-convert \(svg): \(result.stderr)") }
        return png
    }

    /// Probes `png`: its size, the colour at `points`, and how many pixels are close to `colours`.
    static func probe(_ png: String, at points: [(Double, Double)] = [], near colours: [String] = []) throws -> Probe {
        let script = PackagePaths.root + "/Tests/Scripts/png_probe.py"
        let arguments = [script, png] + points.flatMap { ["--at", "\(Int($0.0)),\(Int($0.1))"] } + colours.flatMap { ["--near", $0] }
        let result = try ExternalProcess.python(arguments)
        guard result.status == 0 else { throw RenderingFailure(message: "png_probe.py \(png): \(result.stderr)") }
        return try JSONDecoder().decode(Probe.self, from: Data(result.stdout.utf8))
    }

    /// The heat map cells of an SVG written by AdapterPlots: row name, column name and frame, read
    /// from each cell's `<rect …><title>ROW / COLUMN: value</title>`.
    static func heatMapCells(_ svg: String) throws -> [(row: String, column: String, x: Double, y: Double, size: Double)] {
        let pattern = try NSRegularExpression(pattern: "<rect x=\"([^\"]+)\" y=\"([^\"]+)\" width=\"([^\"]+)\" height=\"[^\"]+\"[^>]*><title>([^<]*) / ([^<]*): [^<]*</title>")
        return pattern.matches(in: svg, range: NSRange(svg.startIndex..., in: svg)).compactMap { match in
            func group(_ index: Int) -> String { Range(match.range(at: index), in: svg).map { String(svg[$0]) } ?? "" }
            guard let x = Double(group(1)), let y = Double(group(2)), let size = Double(group(3)) else { return nil }
            return (group(4), group(5), x, y, size)
        }
    }

    /// The width and height attributes of the root `<svg>` element.
    static func size(_ svg: String) -> (width: Int, height: Int)? {
        guard let width = attribute("width", svg), let height = attribute("height", svg) else { return nil }
        return (Int(width.rounded()), Int(height.rounded()))
    }

    private static func attribute(_ name: String, _ svg: String) -> Double? {
        guard let root = svg.range(of: "<svg "), let start = svg.range(of: " \(name)=\"", range: root.upperBound..<svg.endIndex),
              let end = svg.range(of: "\"", range: start.upperBound..<svg.endIndex) else { return nil }
        return Double(svg[start.upperBound..<end.lowerBound])
    }

    struct RenderingFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
