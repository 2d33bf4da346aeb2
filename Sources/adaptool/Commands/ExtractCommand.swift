import AdapterKit
import ArgumentParser
import Foundation

/// `adaptool extract`: the low-rank adapter that best explains a full fine-tune.
struct ExtractCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "extract", abstract: "Extract a rank-R LoRA/DoRA adapter from TUNED − BASE by truncated SVD.")

    @Argument(help: "The base checkpoint.")
    var base: String

    @Argument(help: "The fine-tuned checkpoint (same layers and shapes).")
    var tuned: String

    @Option(help: "The adapter rank (capped per layer at min(out, in)).")
    var rank: Int

    @OptionGroup var output: OutputOptions

    @Option(help: "lora, or dora (magnitudes from TUNED, direction update from the SVD).")
    var method: AdapterMethod = .lora

    @Option(help: "DoRA's norm axis: output (per row) or input (per column).")
    var normAxis: NormAxis = .output

    func validate() throws {
        // The adapter's root `rank` attribute records this value, and readers refuse ranks above V1Rules.maxRank.
        guard rank >= 1, rank <= V1Rules.maxRank else { throw ValidationError("--rank must be a positive integer of at most \(V1Rules.maxRank)") }
    }

    func execute() throws {
        try output.requireFree()
        let (adapter, layers) = try AdapterExtraction.extract(base: base, tuned: tuned, rank: rank, method: method, normAxis: normAxis)
        try adapter.write(to: output.output, options: output.writeOptions)
        var table = TextTable(headers: ["layer", "rank", "‖ΔW‖_F", "captured ‖ΔW‖²"])
        for layer in layers where layer.rank > 0 {
            table.append([layer.name, String(layer.rank), String(format: "%.4g", layer.deltaNorm), String(format: "%.2f%%", 100 * layer.capturedShare)])
        }
        print(table.render())
        for layer in layers where layer.biasChange > 0 {
            Console.note("warning: layer \"\(layer.name)\": the bias changed (max |Δb| \(layer.biasChange)); an adapter cannot carry bias changes")
        }
        print("wrote \(output.output): \(adapter.method.rawValue) adapter, rank \(rank), \(adapter.layers.count) layers, \(adapter.parameterCount) parameters")
    }
}

