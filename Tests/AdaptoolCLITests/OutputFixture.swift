import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// Inputs for every command that writes a file (merge, unmerge, extract, import, export, train),
/// and the checks every refused or failed write must pass: exit 1, one error line naming the
/// file, no crash, no temporary file left behind.
struct OutputFixture {
    /// The base checkpoint and its adapter, which every test folder starts with.
    static let inputNames = ["base.h5", "lora.h5"]
    /// Where the inputs are.
    let folder: String
    /// The names of every input written, sorted.
    let inputs = ["base.h5", "base.safetensors", "lora.h5", "merged.h5"]

    /// Writes a random base of `sizes`, a LoRA adapter of `rank`, their merge and the base as safetensors.
    init(in folder: String, sizes: [Int], rank: Int = 2) throws {
        self.folder = folder
        let base = Checkpoint.random(sizes: sizes, seed: 801)
        let lora = Adapter.random(for: base, method: .lora, rank: rank, seed: 802)
        try base.write(to: folder + "/base.h5")
        try lora.write(to: folder + "/lora.h5")
        try base.merged(with: [WeightedAdapter(lora, weight: 1)], baseFingerprint: base.computeFingerprint()).write(to: folder + "/merged.h5")
        _ = try Interop.export(folder + "/base.h5", to: folder + "/base.safetensors", dtype: .f32, options: WriteOptions())
    }

    private func input(_ name: String) -> String { folder + "/" + name }

    /// `merge base.h5 lora.h5 -o output`.
    func mergeArguments(output: String) -> [String] { ["merge", input("base.h5"), input("lora.h5"), "-o", output] }

    /// Every command that writes an HDF5, safetensors or PEFT output, writing to `output`.
    func writingCommands(output: String) -> [[String]] {
        [
            mergeArguments(output: output),
            mergeArguments(output: output) + ["--compress"],
            ["unmerge", input("merged.h5"), input("lora.h5"), "-o", output],
            ["extract", input("base.h5"), input("merged.h5"), "--rank", "2", "-o", output],
            ["import", input("base.safetensors"), "-o", output],
            ["export", input("base.h5"), "-o", output],
            ["export", input("lora.h5"), "-o", output],
            ["train", "base", "--synthetic", "--epochs", "1", "--hidden", "4", "-o", output],
        ]
    }

    /// Exit status 1, no crash, one `adaptool: error:` line that mentions `naming`.
    static func expectOneLineFailure(_ result: ProcessResult, naming: String, _ context: [String],
                                     sourceLocation: SourceLocation = #_sourceLocation) {
        let (crashed, status, stderr) = (result.crashed, result.status, String(result.stderr.prefix(400)))
        let lines = result.stderr.split(separator: "\n")
        let oneLine = lines.count == 1 && lines[0].hasPrefix("adaptool: error: ") && lines[0].contains(naming)
        #expect(!crashed, "\(context): crashed: \(stderr)", sourceLocation: sourceLocation)
        #expect(status == 1, "\(context): exit \(status)", sourceLocation: sourceLocation)
        #expect(oneLine, "\(context): \(stderr)", sourceLocation: sourceLocation)
    }

    /// Hidden temporary files (`.NAME.tmp-…`) left in `folder`.
    static func leftovers(in folder: String) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") && $0.contains(".tmp-") }
    }
}
