import AdapterKit
import ArgumentParser
import Foundation

/// `adaptool diff`: how two checkpoints (or two adapters) differ, with diff(1)'s exit codes.
struct DiffCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Compare two checkpoints or two adapters (exit 0 same, 1 different, 2 trouble).",
        discussion: "Models of any architecture (v2 checkpoints, model folders, .safetensors files) are compared tensor by tensor, grouped by module; tensors whose stored digests match are not read. Two v2 adapters are compared target by target by their effective ΔW. Two v1 files, per layer: ‖ΔW‖_F, ‖ΔW‖_F/‖W_A‖_F, max|ΔW|, cosine, numerical rank of ΔW, DoRA's ΔM and ΔD, bias change. Adapters are compared by their effective update scaling·B·A. Same means |b − a| ≤ atol + rtol·|a| everywhere. The rank comes from the leading singular values by a randomized SVD (the probe doubles until one is below the tolerance; the full SVD where that does not pay off or with --exact). --plot FILE.svg also draws, per changed module, the relative ‖ΔW‖, the singular values of ΔW (rank marked) and DoRA's ΔM-vs-ΔD.")

    static var failureExitCode: Int32 { 2 }

    @Argument(help: "The first file (the reference for relative figures).")
    var first: String

    @Argument(help: "The second file.")
    var second: String

    @Flag(help: "Print one JSON document instead of a table.")
    var json = false

    @Option(help: "Absolute tolerance; 0 means exact.")
    var atol: Double = 0

    @Option(help: "Relative tolerance; 0 means exact.")
    var rtol: Double = 0

    @Option(help: "Slices for ΔM and ΔD: output (rows, the DoRA paper's) or input (columns).")
    var normAxis: NormAxis = .output

    @Flag(help: "Skip the SVD behind the numerical rank (faster on large layers).")
    var noRank = false

    @Flag(help: "Count the numerical rank from LAPACK's full SVD instead of the randomized leading singular values.")
    var exact = false

    @Option(help: "For two v2 adapters of a method whose ΔW depends on the weight (DoRA): the base model to compute it on.")
    var base: String?

    @OptionGroup var plotOutput: PlotOutputOptions

    func validate() throws {
        guard atol >= 0, rtol >= 0, atol.isFinite, rtol.isFinite else { throw ValidationError("--atol and --rtol must be finite and not negative") }
    }

    func execute() throws {
        try plotOutput.requireFree()
        let figure = plotOutput.plot.map { _ in DiffFigureRecorder() }
        if TensorFileDiff.handles(first, second) {
            let difference = try TensorFileDiff.compare(first, second, base: base, tolerance: DiffTolerance(atol: atol, rtol: rtol),
                                                        normAxis: normAxis, computeRank: !noRank, algorithm: exact ? .exact : .randomized, figure: figure)
            if let figure { try plotOutput.write(figure.data(first: first, second: second).plot) }
            try TensorDiffReport.print(difference, json: json)
            if !difference.isSame { throw ExitCode(1) }
            return
        }
        if base != nil { throw ValidationError("--base applies to two format v2 adapters; v1 files carry what their diff needs") }
        let difference = try FileDiff.compare(first, second, tolerance: DiffTolerance(atol: atol, rtol: rtol),
                                              normAxis: normAxis, computeRank: !noRank, algorithm: exact ? .exact : .randomized, figure: figure)
        if let figure { try plotOutput.write(figure.data(first: first, second: second).plot) }
        if json {
            switch difference {
            case .checkpoints(let value): try JSONOutput.print(value)
            case .adapters(let value): try JSONOutput.print(value)
            }
        } else {
            switch difference {
            case .checkpoints(let value): print(DiffReport.table(value))
            case .adapters(let value): print(DiffReport.table(value))
            }
            print(Console.printable(difference.summaryLine))
        }
        if !difference.isSame { throw ExitCode(1) }
    }
}


/// Text rendering of diffs.
enum DiffReport {
    static func number(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.4g", value)
    }

    static func rank(_ comparison: WeightComparison?) -> String {
        guard let comparison, let rank = comparison.numericalRank else { return "-" }
        return String(rank)
    }

    static let rankNote = "rank = singular values of ΔW above max(σ₁·max(m,n)·ε₆₄, ε₃₂·max|W|·(√m+√n)) (spec/math.md)"

    static func table(_ difference: CheckpointDifference) -> String {
        var table = TextTable(headers: ["layer", "shape", "‖ΔW‖_F", "relative", "max|ΔW|", "cosine", "rank", "ΔM", "ΔD", "max|Δb|", "same"])
        for layer in difference.layers {
            let shape = layer.shapeA == layer.shapeB
                ? (layer.shapeA.map { "\($0[0])×\($0[1])" } ?? "-")
                : "\(layer.shapeA.map { "\($0[0])×\($0[1])" } ?? "absent") vs \(layer.shapeB.map { "\($0[0])×\($0[1])" } ?? "absent")"
            let w = layer.weight
            table.append([layer.name, shape, number(w?.frobenius), number(w?.relative), number(w?.maxAbsolute), number(w?.cosine),
                          rank(w), number(w?.magnitudeChange), number(w?.directionChange), number(layer.bias?.maxAbsolute),
                          layer.isSame ? "yes" : "no"])
        }
        return table.render() + "\n" + rankNote
    }

    static func table(_ difference: AdapterDifference) -> String {
        var table = TextTable(headers: ["layer", "in", "‖ΔU‖_F", "relative", "max|ΔU|", "cosine", "rank", "max|Δm|", "factors", "same"])
        for layer in difference.layers {
            let presence = layer.inA && layer.inB ? "both" : (layer.inA ? "first" : "second")
            let u = layer.update
            let factors = layer.factorsIdentical ? "identical" : (layer.isRefactored ? "differ, B·A same" : "differ")
            table.append([layer.name, presence, number(u?.frobenius), number(u?.relative), number(u?.maxAbsolute), number(u?.cosine),
                          rank(u), number(layer.magnitudeMaxAbsolute), u == nil ? "-" : factors, layer.isSame ? "yes" : "no"])
        }
        return table.render() + "\nU = scaling·B·A, the update each adapter applies; " + rankNote
    }
}
