@testable import AdapterPlots
import Testing

/// Labels from files: escaped, cleaned of control characters, cut with "…".
struct SVGTextTests {
    @Test func specialCharactersAreEscaped() {
        #expect(SVGText.escaped("a<b & \"c\" 'd'>") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;&gt;")
    }

    @Test func controlCharactersAreRemoved() {
        #expect(SVGText.escaped("x\u{0}y\u{1B}[31mz\u{7F}") == "xy[31mz")
        #expect(SVGText.label("  layer\t0\n\r.q_proj  ") == "layer 0 .q_proj")
    }

    @Test func longLabelsAreCutWithAnEllipsis() {
        let long = String(repeating: "model.layers.", count: 20)
        let label = SVGText.label(long, maximumCharacters: 12)
        #expect(label.count == 12 && label.hasSuffix("…"))
        #expect(SVGText.label("short", maximumCharacters: 12) == "short")
    }

    @Test func aHostileLabelCannotBreakTheDocument() {
        var document = SVGDocument(width: 100, height: 50)
        document.text("</text><script>alert(1)</script>&\u{0}", at: PlotPoint(x: 1, y: 1))
        #expect(!document.svg.contains("<script>"))
        #expect(document.svg.contains("&lt;/text&gt;&lt;script&gt;"))
        #expect(!document.svg.contains("\u{0}"))
    }
}
