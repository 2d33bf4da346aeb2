import AdapterCore
import AdapterInterop
import AdapterTestSupport
import Foundation

/// Paths and expected values of Fixtures/interop (written by Fixtures/interop/generate.py).
enum InteropFixtures {
    static let folder = PackagePaths.fixtures + "/interop"
    static func path(_ name: String) -> String { folder + "/" + name }

    /// expected.json, parsed.
    static func expected() throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("expected.json")))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// The base checkpoint imported (in memory) from the numpy state dict.
    static func base() throws -> Checkpoint {
        try StateDictConversion.checkpoint(from: SafetensorsFile(path: path("base_state_dict.safetensors")))
    }

    /// The PEFT adapter case `name` imported against the base.
    static func adapter(_ name: String) throws -> Adapter {
        let base = try base()
        let reference = BaseReference(fingerprint: base.computeFingerprint(), shapes: base.layers.map { ($0.name, $0.outputSize, $0.inputSize) })
        return try PEFTImport.adapter(from: PEFTFolder(folder: path(name)), base: reference).adapter
    }

    /// max |ours − expected| / max |expected|: the error relative to the layer's scale, so entries
    /// near zero do not dominate.
    static func relativeError(_ ours: [Float], _ expected: [Float]) -> Double {
        let scale = expected.reduce(0.0) { max($0, abs(Double($1))) }
        let worst = zip(ours, expected).reduce(0.0) { max($0, abs(Double($1.0) - Double($1.1))) }
        return worst / scale
    }
}
