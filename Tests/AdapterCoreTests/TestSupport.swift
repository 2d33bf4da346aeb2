import Foundation
@testable import AdapterCore

/// A fresh folder under the system temp directory, deleted when dropped.
final class TemporaryDirectory {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "adaptool-test-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }
    func contents() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: path).sorted() }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// A small deterministic generator (SplitMix64) so tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Checkpoint {
    /// An MLP with layer sizes `sizes` (input first) and uniform random weights.
    static func random(sizes: [Int], seed: UInt64) -> Checkpoint {
        var rng = SeededGenerator(seed: seed)
        let layers = zip(sizes, sizes.dropFirst()).enumerated().map { index, pair in
            Layer(name: "fc\(index + 1)",
                  weight: Matrix(rows: pair.1, columns: pair.0, values: (0..<pair.0 * pair.1).map { _ in Float.random(in: -1...1, using: &rng) }),
                  bias: (0..<pair.1).map { _ in Float.random(in: -1...1, using: &rng) })
        }
        return Checkpoint(layers: layers)
    }
}
