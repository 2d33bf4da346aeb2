import AdapterCore

/// A figure: a title (and optional subtitle) above panels laid out in a grid, row by row, each
/// panel in an equal cell. It renders to one SVG 1.1 document and writes it atomically.
public struct PlotFigure: Sendable {
    /// The figure title (cleaned, cut to the width and escaped when drawn).
    public var title: String
    /// A second, smaller line under the title (e.g. the data used), or "" for none.
    public var subtitle: String
    /// The panels, placed left to right, then top to bottom.
    public var panels: [any PlotPanel]
    /// Panels per row.
    public var columns: Int
    /// Width of one panel cell, in pixels.
    public var panelWidth: Double
    /// Height of one panel cell, in pixels.
    public var panelHeight: Double

    static let titleSize = 16.0
    static let subtitleSize = 12.0
    static let margin = 10.0

    /// A figure; `columns` defaults to all panels side by side (at least 1).
    public init(title: String, subtitle: String = "", panels: [any PlotPanel], columns: Int? = nil,
                panelWidth: Double = 480, panelHeight: Double = 360) {
        (self.title, self.subtitle, self.panels) = (title, subtitle, panels)
        self.columns = max(1, columns ?? panels.count)
        (self.panelWidth, self.panelHeight) = (max(120, panelWidth), max(100, panelHeight))
    }

    /// The rendered SVG document (the same figure always gives the same bytes).
    public var svg: String { document.svg }

    /// The figure drawn into a document.
    public var document: SVGDocument {
        let rows = max(1, (panels.count + columns - 1) / columns)
        let header = Self.margin + (title.isEmpty ? 0 : Self.titleSize + 8) + (subtitle.isEmpty ? 0 : Self.subtitleSize + 6)
        let width = Self.margin * 2 + Double(min(columns, max(1, panels.count))) * panelWidth
        let height = header + Double(rows) * panelHeight + Self.margin
        var document = SVGDocument(width: width, height: height)
        var y = Self.margin
        if !title.isEmpty {
            document.text(title, at: PlotPoint(x: width / 2, y: y + Self.titleSize / 2), size: Self.titleSize, anchor: .middle, bold: true,
                          maximumCharacters: SVGText.characters(fitting: width - 2 * Self.margin, fontSize: Self.titleSize))
            y += Self.titleSize + 8
        }
        if !subtitle.isEmpty {
            document.text(subtitle, at: PlotPoint(x: width / 2, y: y + Self.subtitleSize / 2), size: Self.subtitleSize, anchor: .middle,
                          colour: .note, maximumCharacters: SVGText.characters(fitting: width - 2 * Self.margin, fontSize: Self.subtitleSize))
        }
        if panels.isEmpty {
            PanelChrome.drawNoData(in: PlotRect(x: Self.margin, y: header, width: panelWidth, height: panelHeight), on: &document)
        }
        for (index, panel) in panels.enumerated() {
            let frame = PlotRect(x: Self.margin + Double(index % columns) * panelWidth, y: header + Double(index / columns) * panelHeight,
                                 width: panelWidth, height: panelHeight)
            panel.draw(in: frame, on: &document)
        }
        return document
    }

    /// Writes the SVG to `path` atomically: a folder is never replaced, an existing file only with
    /// `overwrite`, and a failure or interruption leaves nothing behind.
    public func write(to path: String, overwrite: Bool = false) throws(FormatError) {
        try AtomicOutput.write(text: svg, to: path, overwrite: overwrite)
    }
}
