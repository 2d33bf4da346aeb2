import Foundation
import AdapterKit

/// The human-readable form of a ``FileInspection``: a heading, the dataset table, the facts and the attributes.
///
/// Every text that comes from the file or the command line (names, attribute values, paths) is shown
/// through ``Console/printable(_:)``: a crafted file cannot drive the terminal or break a line.
enum InspectionText {
    /// The whole report as text.
    static func render(_ inspection: FileInspection) -> String {
        var sections = [heading(inspection)]
        if let tree = inspection.tree {
            sections.append(treeTable(tree, truncated: inspection.treeIsTruncated ?? false))
        } else {
            sections.append(datasetTable(inspection.datasets))
        }
        if let checkpoint = inspection.checkpoint { sections.append(facts(checkpoint)) }
        if let adapter = inspection.adapter { sections.append(facts(adapter)) }
        sections.append(attributes(inspection.attributes))
        if let checks = inspection.verification { sections.append(verification(checks)) }
        return sections.joined(separator: "\n\n")
    }

    private static func heading(_ inspection: FileInspection) -> String {
        switch inspection.kind {
        case .checkpoint: return "\(shown(inspection.path)): adaptool checkpoint (format v\(inspection.formatVersion ?? 1))"
        case .adapter: return "\(shown(inspection.path)): adaptool adapter (format v\(inspection.formatVersion ?? 1))"
        case .foreign: return "\(shown(inspection.path)): HDF5 file, not an adaptool checkpoint or adapter; its tree (links are listed, not followed):"
        }
    }

    private static func shape(_ dims: [Int]) -> String { dims.isEmpty ? "scalar" : dims.map(String.init).joined(separator: "×") }

    private static func datasetTable(_ rows: [DatasetRow]) -> String {
        var table = TextTable(headers: ["layer", "dataset", "shape", "dtype", "parameters", "stored bytes", "compression"])
        for row in rows {
            table.append([row.layer, row.name, shape(row.shape), row.dtype, String(row.parameters), String(row.storedBytes), row.compression ?? "none"])
        }
        let parameters = rows.reduce(0) { $0 &+ $1.parameters }, bytes = rows.reduce(0) { $0 &+ $1.storedBytes }
        table.append(["total", "", "", "", String(parameters), String(bytes), ""])
        return table.render()
    }

    private static func treeTable(_ entries: [TreeEntry], truncated: Bool) -> String {
        var table = TextTable(headers: ["path", "kind", "shape", "dtype", "stored bytes", "compression"])
        for entry in entries {
            if let dataset = entry.dataset {
                table.append([entry.path, entry.kind, shape(dataset.shape), dataset.dtype, String(dataset.storedBytes), dataset.compression ?? "none"])
            } else {
                table.append([entry.path, entry.kind + (entry.target.map { " → \($0)" } ?? "")])
            }
        }
        return table.render() + (truncated ? "\n… listing stopped after \(entries.count) entries" : "")
    }

    private static func facts(_ checkpoint: CheckpointFacts) -> String {
        let chain = checkpoint.layerShapes.first.map { [String($0[1])] + checkpoint.layerShapes.map { String($0[0]) } } ?? []
        return """
            layers:       \(checkpoint.layerNames.count) (\(shown(checkpoint.layerNames.joined(separator: ", ")))), sizes \(chain.joined(separator: " → "))
            parameters:   \(checkpoint.parameters)
            fingerprint:  \(shown(checkpoint.fingerprint)) (stored; --verify recomputes it)
            """
    }

    private static func facts(_ adapter: AdapterFacts) -> String {
        var lines = [
            "method:       \(adapter.method.rawValue)" + (adapter.normAxis.map { " (norm axis: \($0.rawValue))" } ?? ""),
            "rank:         \(adapter.rank)",
            "alpha:        \(adapter.alpha)",
            "scaling:      \(adapter.scaling) (ΔW = scaling · B · A)",
        ]
        for (name, override) in adapter.layerOverrides.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(shown(name)): rank \(override.rank), scaling \(override.scaling)")
        }
        let share: String
        if let fraction = adapter.shareOfBase, let base = adapter.baseParameters {
            share = String(format: "%.3f%% of the base's %d", fraction * 100, base)
        } else {
            share = "share of the base unknown (pass --base BASE.h5)"
        }
        lines.append("trainable:    \(adapter.trainableParameters) parameters, \(share)")
        let match = adapter.baseFingerprintMatches.map { $0 ? " (matches --base)" : " (does NOT match --base)" } ?? ""
        lines.append("base:         fingerprint \(shown(adapter.baseFingerprint))\(match)")
        return lines.joined(separator: "\n")
    }

    private static func attributes(_ attributes: [String: AttributeValue]) -> String {
        let names = Dictionary(attributes.keys.map { ($0, shown($0)) }, uniquingKeysWith: { first, _ in first })
        let width = names.values.map(\.count).max() ?? 0
        let lines = attributes.sorted(by: { $0.key < $1.key }).map { name, value in
            let text = shown(value.description)
            // Long values (provenance JSON) are shortened here; --json shows them whole.
            let shown = text.count > maxAttributeWidth ? String(text.prefix(maxAttributeWidth)) + "…" : text
            return "  " + (names[name] ?? name).padding(toLength: width, withPad: " ", startingAt: 0) + "  " + shown
        }
        return (["attributes:"] + lines).joined(separator: "\n")
    }

    private static let maxAttributeWidth = 100

    private static func verification(_ checks: [VerificationCheck]) -> String {
        (["verification:"] + checks.map { "  \($0.passed ? "ok  " : "FAIL") \($0.name): \(shown($0.detail))" }).joined(separator: "\n")
    }

    /// Text from the file, with control characters escaped.
    private static func shown(_ text: String) -> String { Console.printable(text) }
}
