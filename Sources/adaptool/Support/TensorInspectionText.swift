import AdapterKit

/// The human-readable form of a ``TensorFileInspection`` (format v2): a heading, the tensors
/// grouped by module, dtype totals, facts (and targets for an adapter), attributes, checks. Text
/// from the file is shown through ``Console/printable(_:)``.
enum TensorInspectionText {
    /// The whole report as text.
    static func render(_ inspection: TensorFileInspection) -> String {
        var sections = [heading(inspection)]
        if let targets = inspection.targets { sections.append(targetTable(targets)) }
        sections.append(tensorTable(inspection.tensors, factors: inspection.kind == .adapter))
        sections.append(totalsTable(inspection.dtypeTotals))
        sections.append(facts(inspection))
        if let checks = inspection.verification {
            sections.append((["verification:"] + checks.map { "  \($0.passed ? "ok  " : "FAIL") \($0.name): \(shown($0.detail))" }).joined(separator: "\n"))
        }
        return sections.joined(separator: "\n\n")
    }

    private static func heading(_ inspection: TensorFileInspection) -> String {
        let what = inspection.kind == .adapter ? "adapter" : "checkpoint"
        return "\(shown(inspection.path)): adaptool \(what) (format v\(inspection.formatVersion), named tensors)"
    }

    private static func shape(_ dims: [Int]) -> String { dims.isEmpty ? "scalar" : dims.map(String.init).joined(separator: "×") }

    /// Tensors in stored order; the module is printed once per run of tensors that share it.
    private static func tensorTable(_ rows: [TensorFileInspection.TensorRow], factors: Bool) -> String {
        var table = TextTable(headers: [factors ? "target" : "module", factors ? "factor" : "tensor", "shape", "dtype", "parameters", "bytes"])
        var previous: String?
        for row in rows {
            let suffix = factors || row.module == row.name ? row.name : String(row.name.dropFirst(row.module.count + 1))
            table.append([row.module == previous ? "" : row.module, suffix, shape(row.shape), row.dtype, String(row.parameters), String(row.bytes)])
            previous = row.module
        }
        return table.render()
    }

    private static func totalsTable(_ totals: [TensorFileInspection.DTypeTotal]) -> String {
        var table = TextTable(headers: ["dtype", "tensors", "parameters", "bytes"])
        for total in totals { table.append([total.dtype, String(total.tensors), String(total.parameters), String(total.bytes)]) }
        table.append(["total", String(totals.reduce(0) { $0 + $1.tensors }), String(totals.reduce(0) { $0 &+ $1.parameters }), String(totals.reduce(0) { $0 &+ $1.bytes })])
        return table.render()
    }

    private static func targetTable(_ targets: [TensorFileInspection.TargetRow]) -> String {
        var table = TextTable(headers: ["target", "rank", "scaling", "layout", "factors", "parameters", "base shape"])
        for target in targets {
            table.append([target.tensor, String(target.rank), String(target.scaling), target.layout, target.roles.joined(separator: ", "),
                          String(target.parameters), target.baseShape.map(shape) ?? ""])
        }
        return table.render()
    }

    private static func facts(_ inspection: TensorFileInspection) -> String {
        var lines: [String] = []
        if let architecture = inspection.architecture { lines.append("architecture: \(shown(architecture))") }
        if let fingerprint = inspection.fingerprint { lines.append("fingerprint:  \(shown(fingerprint)) (stored; --verify recomputes it)") }
        if let method = inspection.method { lines.append("method:       \(shown(method))") }
        if inspection.kind == .adapter {
            let match = inspection.baseFingerprintMatches.map { $0 ? " (matches --base)" : " (does NOT match --base)" } ?? ""
            lines.append("base:         fingerprint \(shown(inspection.baseFingerprint ?? "not recorded"))\(match)")
        }
        if let files = inspection.attachedFiles { lines.append("files:        \(files.isEmpty ? "none" : shown(files.joined(separator: ", ")))") }
        return lines.joined(separator: "\n")
    }

    private static func shown(_ text: String) -> String { Console.printable(text) }
}
