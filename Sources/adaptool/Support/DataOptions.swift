import AdapterKit
import ArgumentParser
import Foundation

/// `--data DIR` / `--synthetic`: where the CIFAR-10 images come from.
struct DataOptions: ParsableArguments {
    @Option(help: "CIFAR-10 binary folder (data_batch_*.bin, test_batch*.bin); defaults to $CIFAR10_DIR.")
    var data: String?

    @Flag(help: "Use deterministic synthetic CIFAR-format data (10,000 train / 2,000 test images) instead of real images.")
    var synthetic = false

    func validate() throws {
        if synthetic, data != nil { throw ValidationError("--data and --synthetic are mutually exclusive") }
    }

    /// Images per synthetic split, and the seed that fixes them (train and eval must see the same data).
    static let syntheticTrainCount = 10_000, syntheticTestCount = 2_000, syntheticSeed: UInt64 = 2024

    /// Loads the data (only the test split when `testOnly`).
    func load(testOnly: Bool = false) throws -> CIFAR10Dataset {
        if synthetic {
            return SyntheticCIFAR10.make(trainCount: testOnly ? 0 : Self.syntheticTrainCount, testCount: Self.syntheticTestCount, seed: Self.syntheticSeed)
        }
        guard let directory = data ?? ProcessInfo.processInfo.environment["CIFAR10_DIR"].flatMap({ $0.isEmpty ? nil : $0 }) else {
            throw ValidationError("no data: pass --data DIR (a CIFAR-10 binary folder), set CIFAR10_DIR, or use --synthetic")
        }
        return try CIFAR10.load(directory: directory, parts: testOnly ? .test : .both)
    }
}
