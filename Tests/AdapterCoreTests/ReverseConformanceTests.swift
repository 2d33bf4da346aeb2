import Foundation
import Testing
@testable import AdapterCore
import AdapterTestSupport

/// Files the library writes are read by h5py (Fixtures/check_written.py) and must match the spec:
/// names, shapes, dtypes, attribute types, values and the fingerprint recomputed in numpy.
@Suite struct ReverseConformanceTests {
    static let checker = PackagePaths.fixtures + "/check_written.py"

    /// Runs check_written.py with the values the writer was given; returns its output on failure.
    private func check(_ path: String, kind: String, expected: [String: Any], in dir: TemporaryDirectory) throws {
        let json = dir.file("expected-\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: expected).write(to: URL(fileURLWithPath: json))
        let result = try ExternalProcess.python([Self.checker, path, kind, json])
        #expect(result.status == 0, "check_written.py \(kind) failed:\n\(result.stderr)\(result.stdout)")
        #expect(result.stdout.hasPrefix("ok: "))
    }

    private func values(_ floats: [Float]) -> [Double] { floats.map(Double.init) }

    private func expectation(_ checkpoint: Checkpoint, fingerprint: String, compressed: Bool) -> [String: Any] {
        var layers: [String: Any] = [:]
        for layer in checkpoint.layers { layers[layer.name] = ["weight": values(layer.weight.values), "bias": values(layer.bias)] }
        var attributes: [String: Any] = ["layer_names": checkpoint.layerNames, "created_by": FormatV1.toolVersion]
        if let shape = checkpoint.metadata.inputShape { attributes["input_shape"] = shape }
        if let names = checkpoint.metadata.classNames { attributes["class_names"] = names }
        return ["fingerprint": fingerprint, "layers": layers, "attributes": attributes, "compressed": compressed]
    }

    private func expectation(_ adapter: Adapter, compressed: Bool) -> [String: Any] {
        var layers: [String: Any] = [:]
        for layer in adapter.layers {
            var entry: [String: Any] = ["lora_A": values(layer.a.values), "lora_B": values(layer.b.values)]
            if let magnitude = layer.magnitude { entry["magnitude"] = values(magnitude) }
            layers[layer.name] = entry
        }
        var attributes: [String: Any] = ["rank": adapter.rank, "alpha": adapter.alpha, "scaling": adapter.scaling,
                                         "target_layers": adapter.targetLayers, "base_fingerprint": adapter.baseFingerprint]
        if let axis = adapter.normAxis { attributes["norm_axis"] = axis.rawValue }
        return ["layers": layers, "attributes": attributes, "compressed": compressed]
    }

    @Test(arguments: [false, true])
    func checkpointReadsInH5py(compressed: Bool) throws {
        let dir = try TemporaryDirectory()
        var checkpoint = Checkpoint.random(sizes: [12, 7, 5, 3], seed: 11)
        checkpoint.metadata = CheckpointMetadata(inputShape: [3, 2, 2], normalizationMean: [0.5, 0.5, 0.5],
                                                 normalizationStd: [0.2, 0.2, 0.2], classNames: ["a", "b", "c"],
                                                 provenance: #"{"kind":"test"}"#)
        let path = dir.file("base.h5")
        let fingerprint = try checkpoint.write(to: path, options: WriteOptions(compressionLevel: compressed ? 4 : nil))
        try check(path, kind: "checkpoint", expected: expectation(checkpoint, fingerprint: fingerprint, compressed: compressed), in: dir)
    }

    @Test(arguments: ["lora", "dora-output", "dora-input"], [false, true])
    func adapterReadsInH5py(kind: String, compressed: Bool) throws {
        let dir = try TemporaryDirectory()
        let base = Checkpoint.random(sizes: [10, 6, 4], seed: 3)
        let method: AdapterMethod = kind == "lora" ? .lora : .dora
        var adapter = Adapter.random(for: base, method: method, rank: 3, scaling: 0.75,
                                     normAxis: kind == "dora-input" ? .input : .output, seed: 5)
        adapter.provenance = #"{"trainer":"test"}"#
        // One layer with its own scaling exercises the per-layer override (spec §3.3).
        adapter.layers[1].scaling = 1.5
        let path = dir.file("adapter.h5")
        try adapter.write(to: path, options: WriteOptions(compressionLevel: compressed ? 6 : nil))
        try check(path, kind: kind, expected: expectation(adapter, compressed: compressed), in: dir)
        #expect(try Adapter.read(from: path) == adapter)
    }

    @Test func checkerRejectsAWrongFile() throws {
        // The checker must be able to fail: a LoRA adapter is not a checkpoint, and wrong values are caught.
        let dir = try TemporaryDirectory()
        let base = Checkpoint.random(sizes: [4, 3], seed: 1)
        let path = dir.file("lora.h5")
        try Adapter.random(for: base, method: .lora, rank: 2, seed: 2).write(to: path)
        let asCheckpoint = try ExternalProcess.python([Self.checker, path, "checkpoint"])
        #expect(asCheckpoint.status == 1)
        let json = dir.file("wrong.json")
        try JSONSerialization.data(withJSONObject: ["layers": ["fc1": ["lora_A": [Double](repeating: 0, count: 8)]]])
            .write(to: URL(fileURLWithPath: json))
        let wrongValues = try ExternalProcess.python([Self.checker, path, "lora", json])
        #expect(wrongValues.status == 1)
        #expect(wrongValues.stderr.contains("values differ"))
    }
}
