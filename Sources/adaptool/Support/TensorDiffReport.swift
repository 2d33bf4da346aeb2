import AdapterKit

/// Text (or JSON) rendering of a diff over named tensors: models tensor by tensor grouped by
/// module, adapters target by target.
enum TensorDiffReport {
    /// Prints `difference` as tables and a summary line, or as one JSON document.
    static func print(_ difference: TensorFileDiff.Result, json: Bool) throws {
        switch (difference, json) {
        case (.tensors(let value), true): try JSONOutput.print(value)
        case (.adapters(let value), true): try JSONOutput.print(value)
        case (.tensors(let value), false): Swift.print(table(value))
        case (.adapters(let value), false): Swift.print(table(value))
        }
        if !json { Swift.print(Console.printable(difference.summaryLine)) }  // names come from the files
    }

    private static func dims(_ shape: [Int]) -> String { shape.isEmpty ? "scalar" : shape.map(String.init).joined(separator: "×") }

    private static func describe(_ summary: TensorSummary?) -> String {
        summary.map { "\($0.dtype) \(dims($0.shape))" } ?? "absent"
    }

    /// One row per tensor; tensors are grouped by module (first appearance order) and the module
    /// is printed on the first row of its group.
    static func table(_ difference: TensorSetDifference) -> String {
        var table = TextTable(headers: ["module", "tensor", "dtype/shape", "‖Δ‖_F", "relative", "max|Δ|", "rank", "same"])
        var order: [String] = [], groups: [String: [TensorDifference]] = [:]
        for tensor in difference.tensors {
            if groups[tensor.module] == nil { order.append(tensor.module) }
            groups[tensor.module, default: []].append(tensor)
        }
        for module in order {
            for (index, tensor) in (groups[module] ?? []).enumerated() {
                let part = tensor.name == module ? tensor.name : String(tensor.name.dropFirst(module.count + 1))
                let layout = tensor.first == tensor.second ? describe(tensor.first) : "\(describe(tensor.first)) vs \(describe(tensor.second))"
                let values = tensor.values
                let same = tensor.isSame ? (tensor.decidedByDigest ? "yes (digest)" : "yes")
                    : (tensor.presence == .both ? "no" : "only in \(tensor.presence == .first ? difference.first : difference.second)")
                table.append([index == 0 ? module : "", part, layout, DiffReport.number(values?.frobenius), DiffReport.number(values?.relative),
                              DiffReport.number(values?.maxAbsolute), DiffReport.rank(values), same])
            }
        }
        return table.render()
    }

    /// One row per target: presence, rank/scaling on each side, the effective ΔW comparison.
    static func table(_ difference: TensorAdapterDifference) -> String {
        var table = TextTable(headers: ["target", "in", "rank", "scaling", "‖ΔU‖_F", "relative", "max|ΔU|", "factors", "same"])
        func pair<T: Equatable>(_ a: T?, _ b: T?, _ text: (T) -> String) -> String {
            a == b ? a.map(text) ?? "-" : "\(a.map(text) ?? "-") vs \(b.map(text) ?? "-")"
        }
        for target in difference.targets {
            let presence = target.presence == .both ? "both" : (target.presence == .first ? "first" : "second")
            let u = target.update
            let factors = target.presence != .both ? "-" : target.factorsIdentical ? "identical"
                : target.isRefactored ? "differ, ΔW same" : "differ (max|Δ| " + target.factorMaxAbsolute.sorted { $0.key < $1.key }.map { "\($0.key) \(DiffReport.number($0.value))" }.joined(separator: ", ") + ")"
            table.append([target.tensor, presence, pair(target.first?.rank, target.second?.rank) { String($0) },
                          pair(target.first?.scaling, target.second?.scaling) { DiffReport.number($0) },
                          DiffReport.number(u?.frobenius), DiffReport.number(u?.relative), DiffReport.number(u?.maxAbsolute), factors,
                          target.isSame ? "yes" : "no"])
        }
        return table.render() + "\nU = fold(W) − W, the update each adapter applies (the method's own ΔW; scaling·B·A for LoRA)"
    }
}
