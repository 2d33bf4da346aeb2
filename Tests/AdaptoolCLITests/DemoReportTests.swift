import AdapterTestSupport
import Foundation
import Testing

/// `Benchmarks/demo-report.sh`, which writes `make demo`'s one-page `report.html`: the table becomes an
/// HTML table, each picture is embedded whole (the page needs no network and no files beside it), text
/// from the run is escaped, and a missing picture is left out rather than breaking the page.
@Suite struct DemoReportTests {
    private static let script = PackagePaths.root + "/Benchmarks/demo-report.sh"

    private static let table = """
        | model | accuracy % | trainable params |
        |---|---:|---:|
        | base (2 epochs) | 42.13 | 428938 |
        | LoRA <r4> & more | 46.71 | 6144 |

        """

    private static let picture = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><text x="1" y="15">a &amp; b</text></svg>

        """

    @Test func reportHoldsTheTableAndEveryPictureEmbedded() throws {
        let folder = try TemporaryDirectory()
        try Self.table.write(toFile: folder.file("table.md"), atomically: true, encoding: .utf8)
        try Self.picture.write(toFile: folder.file("one.svg"), atomically: true, encoding: .utf8)
        let result = try ExternalProcess.run("/bin/bash", [
            Self.script, folder.path, "demo on <synthetic>", "WARNING: SYNTHETIC DATA & no CIFAR-10",
            "Training <base>=\(folder.file("one.svg"))", "Missing=\(folder.file("absent.svg"))",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        let html = try String(contentsOfFile: folder.file("report.html"), encoding: .utf8)

        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(html.contains("<title>demo on &lt;synthetic&gt;</title>"))
        #expect(html.contains("<td>LoRA &lt;r4&gt; &amp; more</td>"), "table text is escaped")
        #expect(html.components(separatedBy: "<tr>").count - 1 == 3, "a header row and two data rows")
        #expect(html.contains("<td class=\"n\">46.71</td>"), "numbers are right-aligned")
        #expect(html.contains("WARNING: SYNTHETIC DATA &amp; no CIFAR-10"))

        // One figure: the missing picture is left out; the present one decodes to the SVG's bytes.
        #expect(html.components(separatedBy: "<figure>").count - 1 == 1)
        #expect(html.contains("<figcaption>Training &lt;base&gt;</figcaption>"))
        let marker = "src=\"data:image/svg+xml;base64,"
        let start = try #require(html.range(of: marker))
        let encoded = html[start.upperBound...].prefix { $0 != "\"" }
        let decoded = try #require(Data(base64Encoded: String(encoded)))
        #expect(String(decoding: decoded, as: UTF8.self) == Self.picture)

        #expect(try folder.contents() == ["one.svg", "report.html", "table.md"], "no temporary file is left")
    }

    @Test func aFailedReportLeavesNoPartialPage() throws {
        let folder = try TemporaryDirectory()
        // No table.md: the script fails and neither report.html nor a temporary file is left.
        let result = try ExternalProcess.run("/bin/bash", [Self.script, folder.path, "demo", ""])
        #expect(result.status != 0)
        #expect(try folder.contents().isEmpty)
    }
}
