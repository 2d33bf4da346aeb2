/// One chart of a figure: it draws itself, title and notes included, inside the frame it is given.
public protocol PlotPanel: Sendable {
    /// The panel's title (cleaned and escaped when drawn).
    var title: String { get }
    /// Draws the panel inside `frame`.
    func draw(in frame: PlotRect, on document: inout SVGDocument)
}

/// The parts every panel shares: title on top, notes (captions such as "2 NaN values not drawn")
/// at the bottom, and the "no data" message.
public enum PanelChrome {
    /// Title font size.
    static let titleSize = 14.0
    /// Note and legend font size.
    static let noteSize = 11.0
    /// Tick label font size.
    static let tickSize = 11.0
    /// The most note lines a panel shows; more are summarised as "… and N more".
    static let maximumNotes = 3

    /// Draws `title` and `notes` and returns the space left for the chart.
    public static func draw(title: String, notes: [String], in frame: PlotRect, on document: inout SVGDocument) -> PlotRect {
        var content = frame.inset(top: 6, left: 6, bottom: 6, right: 6)
        if !title.isEmpty {
            document.text(title, at: PlotPoint(x: frame.midX, y: content.y + titleSize / 2 + 2), size: titleSize, anchor: .middle,
                          bold: true, maximumCharacters: SVGText.characters(fitting: content.width, fontSize: titleSize))
            content = content.inset(top: titleSize + 8)
        }
        let shown = visibleNotes(notes)
        let lineHeight = noteSize + 4
        for (index, note) in shown.enumerated() {
            let y = content.maxY - Double(shown.count - index) * lineHeight + lineHeight / 2
            document.text(note, at: PlotPoint(x: content.x, y: y), size: noteSize, colour: .note,
                          maximumCharacters: SVGText.characters(fitting: content.width, fontSize: noteSize))
        }
        return content.inset(bottom: Double(shown.count) * lineHeight)
    }

    /// Draws "no data" (and why) in the middle of `frame`.
    public static func drawNoData(_ reason: String = "no data", in frame: PlotRect, on document: inout SVGDocument) {
        document.rect(frame, fill: nil, stroke: .grid)
        document.text(reason, at: PlotPoint(x: frame.midX, y: frame.midY), size: titleSize, anchor: .middle, colour: .note,
                      maximumCharacters: SVGText.characters(fitting: frame.width, fontSize: titleSize))
    }

    /// `notes` cut to ``maximumNotes`` lines.
    static func visibleNotes(_ notes: [String]) -> [String] {
        let cleaned = notes.filter { !$0.isEmpty }
        guard cleaned.count > maximumNotes else { return cleaned }
        return Array(cleaned.prefix(maximumNotes - 1)) + ["… and \(cleaned.count - maximumNotes + 1) more notes"]
    }

    /// The note saying how many values were not drawn and why ("" when none were dropped).
    static func droppedNote(nonFinite: Int, nonPositive: Int = 0) -> [String] {
        var notes: [String] = []
        if nonFinite > 0 { notes.append("\(nonFinite) NaN/Inf value\(nonFinite == 1 ? "" : "s") not drawn") }
        if nonPositive > 0 { notes.append("\(nonPositive) value\(nonPositive == 1 ? "" : "s") ≤ 0 not drawn on the log scale") }
        return notes
    }
}
