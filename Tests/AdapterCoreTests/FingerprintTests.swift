import Foundation
import Testing
@testable import AdapterCore
import AdapterTestSupport

/// The fingerprint recipe of spec/format.md §4, checked against Python's hashlib over the same bytes.
@Suite struct FingerprintTests {
    /// The recipe exactly as the spec prints it, run by Python on values given as JSON (as float32
    /// bit patterns, so -0.0 and subnormals survive the trip).
    static let pythonRecipe = """
        import hashlib, json, struct, sys
        import numpy as np
        h = hashlib.sha256()
        for name, out, inp, w, b in json.load(open(sys.argv[1])):
            raw = name.encode("utf-8")
            h.update(struct.pack("<Q", len(raw)) + raw)
            h.update(struct.pack("<QQQ", out, inp, len(b)))
            h.update(np.asarray(w, dtype="<u4").view("<f4").tobytes())
            h.update(np.asarray(b, dtype="<u4").view("<f4").tobytes())
        print(h.hexdigest())
        """

    private func pythonFingerprint(_ checkpoint: Checkpoint) throws -> String {
        let dir = try TemporaryDirectory()
        let json = dir.file("layers.json")
        let layers: [[Any]] = checkpoint.layers.map { layer in
            [layer.name, layer.outputSize, layer.inputSize, layer.weight.values.map(\.bitPattern), layer.bias.map(\.bitPattern)]
        }
        try JSONSerialization.data(withJSONObject: layers).write(to: URL(fileURLWithPath: json))
        let result = try ExternalProcess.python(["-c", Self.pythonRecipe, json])
        #expect(result.status == 0, "\(result.stderr)")
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func matchesPythonOnRandomCheckpoints() throws {
        for seed in [1, 2, 3] as [UInt64] {
            let checkpoint = Checkpoint.random(sizes: [9, 5, 4, 2], seed: seed)
            #expect(checkpoint.computeFingerprint() == (try pythonFingerprint(checkpoint)))
        }
    }

    @Test func matchesPythonWithMultiByteNamesAndSpecialValues() throws {
        // Non-ASCII names count their UTF-8 bytes; -0, subnormals and huge values are hashed bit for bit.
        let weight = Matrix(rows: 2, columns: 3, values: [-0.0, Float(bitPattern: 0x0001_1CE4) /* a subnormal, ≈1e-40 */, 3.4e38, -1, 0.5, .leastNonzeroMagnitude])
        let checkpoint = Checkpoint(layers: [
            Layer(name: "层.0", weight: weight, bias: [0, -0.0]),
            Layer(name: "é", weight: Matrix(rows: 1, columns: 2, values: [1, 2]), bias: [3]),
        ])
        #expect(checkpoint.computeFingerprint() == (try pythonFingerprint(checkpoint)))
    }

    @Test func dependsOnEveryIngredient() {
        let base = Checkpoint.random(sizes: [4, 3, 2], seed: 9)
        let fingerprint = base.computeFingerprint()
        var renamed = base
        renamed.layers[0].name = "fc0"
        var nudged = base
        nudged.layers[1].bias[0] = nudged.layers[1].bias[0].nextUp
        var reshaped = base
        reshaped.layers[0].weight = Matrix(rows: 3, columns: 4, values: base.layers[0].weight.values)
        let transposedShape = Checkpoint(layers: [Layer(name: "x", weight: Matrix(rows: 1, columns: 4, values: [1, 2, 3, 4]), bias: [0])])
        let otherShape = Checkpoint(layers: [Layer(name: "x", weight: Matrix(rows: 2, columns: 2, values: [1, 2, 3, 4]), bias: [0, 0])])
        #expect(Set([fingerprint, renamed.computeFingerprint(), nudged.computeFingerprint()]).count == 3)
        #expect(transposedShape.computeFingerprint() != otherShape.computeFingerprint())
        #expect(fingerprint.count == 64 && fingerprint.allSatisfy { $0.isHexDigit && !$0.isUppercase })
    }

    @Test func compressionAndMetadataDoNotChangeIt() throws {
        let dir = try TemporaryDirectory()
        let checkpoint = Checkpoint.random(sizes: [6, 4], seed: 4)
        let plain = try checkpoint.write(to: dir.file("plain.h5"))
        var described = checkpoint
        described.metadata.provenance = #"{"note":"metadata is not hashed"}"#
        let compressed = try described.write(to: dir.file("compressed.h5"), options: WriteOptions(compressionLevel: 9))
        #expect(plain == compressed)
        #expect(plain == checkpoint.computeFingerprint())
    }
}
