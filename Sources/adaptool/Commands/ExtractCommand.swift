import AdapterKit
import ArgumentParser
import Foundation

/// `adaptool extract`: the low-rank adapter that best explains a full fine-tune.
struct ExtractCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract", abstract: "Extract a rank-R LoRA/DoRA adapter from TUNED − BASE by truncated SVD.",
        discussion: "The SVD is randomized (a seeded range finder with power iterations, deterministic) where the rank is small next to the layer, LAPACK's full SVD otherwise or with --exact. The captured share printed is that of the factors as written: 1 − ‖ΔW − B·A‖²/‖ΔW‖².")

    @Argument(help: "The base: a checkpoint (.h5), a Hugging Face model folder or a .safetensors file.")
    var base: String

    @Argument(help: "The fine-tuned model (same tensors and shapes).")
    var tuned: String

    @Option(help: "The adapter rank (capped per layer at min(out, in)).")
    var rank: Int

    @OptionGroup var output: OutputOptions

    @Option(help: "A method of the registry: lora, or dora (magnitudes from TUNED, direction update from the SVD).")
    var method = "lora"

    @Option(help: "DoRA's norm axis: output (per row) or input (per column).")
    var normAxis: NormAxis = .output

    @Flag(help: "Factor each layer by LAPACK's full SVD instead of the randomized one (slower on large layers; the same factors to float32 rounding where ΔW has a clear gap after the rank).")
    var exact = false

    /// The SVD `--exact` selects.
    var algorithm: SVDAlgorithm { exact ? .exact : .randomized }

    func validate() throws {
        // The adapter's root `rank` attribute records this value, and readers refuse ranks above V1Rules.maxRank.
        guard rank >= 1, rank <= V1Rules.maxRank else { throw ValidationError("--rank must be a positive integer of at most \(V1Rules.maxRank)") }
    }

    func execute() throws {
        try output.requireFree()
        if ModelExtraction.handles(base, tuned) { return try extractV2() }
        guard let method = AdapterMethod(rawValue: method) else {
            throw ValidationError("--method \(method): a format v1 checkpoint takes \(AdapterMethod.allCases.map(\.rawValue).joined(separator: " or "))")
        }
        let (adapter, layers) = try AdapterExtraction.extract(base: base, tuned: tuned, rank: rank, method: method, normAxis: normAxis, algorithm: algorithm)
        try adapter.write(to: output.output, options: output.writeOptions)
        var table = TextTable(headers: ["layer", "rank", "‖ΔW‖_F", "captured ‖ΔW‖²"])
        for layer in layers where layer.rank > 0 {
            table.append([layer.name, String(layer.rank), String(format: "%.4g", layer.deltaNorm), String(format: "%.2f%%", 100 * layer.capturedShare)])
        }
        print(table.render())
        Self.printTimings(layers)
        for layer in layers where layer.biasChange > 0 {
            Console.noteFromFile("warning: layer \"\(layer.name)\": the bias changed (max |Δb| \(DiffReport.number(layer.biasChange))); an adapter cannot carry bias changes")
        }
        print("wrote \(output.output): \(adapter.method.rawValue) adapter, rank \(rank), \(adapter.layers.count) layers, \(adapter.parameterCount) parameters")
    }
}

extension ExtractCommand {
    /// With `ADAPTOOL_TIMINGS` set (Benchmarks/bench-svd.sh): one stderr line per factored layer with
    /// the seconds its SVD (and captured share) took, so a benchmark can tell them from reading and writing.
    static func printTimings(_ layers: [ExtractedLayer]) {
        guard let flag = ProcessInfo.processInfo.environment["ADAPTOOL_TIMINGS"], !flag.isEmpty else { return }
        for layer in layers where layer.rank > 0 {
            FileHandle.standardError.write(Data("timing: \(layer.name): factorisation \(String(format: "%.4f", layer.factorSeconds)) s\n".utf8))
        }
    }

    /// Any model (v2 checkpoint, model folder, .safetensors): a format v2 adapter.
    func extractV2() throws {
        guard normAxis == .output else {
            throw ValidationError("--norm-axis input: only DoRA over output rows (PEFT's) exists in format v2; drop --norm-axis")
        }
        let summary = try ModelExtraction.run(base: base, tuned: tuned, rank: rank, method: try LowRankMethods.named(method),
                                              output: output.output, options: output.writeOptions, algorithm: algorithm)
        var table = TextTable(headers: ["tensor", "rank", "‖ΔW‖_F", "captured ‖ΔW‖²"])
        for target in summary.targets {
            table.append([target.name, String(target.rank), String(format: "%.4g", target.deltaNorm), String(format: "%.2f%%", 100 * target.capturedShare)])
        }
        print(table.render())
        Self.printTimings(summary.targets)
        for name in summary.inexpressible {
            Console.noteFromFile("note: tensor \"\(name)\" changed (or is on one side only) but is not a 2-D weight an adapter can carry; it is not in the adapter")
        }
        print("wrote \(output.output): \(summary.method) adapter (format v2), rank \(rank), \(summary.targets.count) targets, base \(summary.baseFingerprint ?? "not recorded")")
    }
}
