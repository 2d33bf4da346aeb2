import AdapterCore
import AdapterMath
import AdapterTestSupport
import Foundation
import Testing
@testable import AdapterInterop

/// PEFT folders written by numpy + safetensors, imported, merged with the reference merge and
/// compared with the merged weights numpy computed from PEFT's formulas.
@Suite struct PEFTImportTests {
    /// The conformance tolerance: max error relative to the layer's largest weight (float32 rounding is ~6e-8).
    static let tolerance = 1e-6

    @Test func importsTheBaseWithTheFingerprintPythonComputes() throws {
        let base = try InteropFixtures.base()
        #expect(base.layerNames == ["layers.0", "layers.2", "layers.4"])
        #expect(try base.computeFingerprint() == InteropFixtures.expected()["base_fingerprint"] as? String)
    }

    @Test(arguments: ["peft_lora", "peft_dora", "peft_rslora", "peft_pattern"])
    func mergedWeightsMatchPEFTsFormulas(name: String) throws {
        let base = try InteropFixtures.base()
        let adapter = try InteropFixtures.adapter(name)
        let expectedCase = try #require((try InteropFixtures.expected()["cases"] as? [String: Any])?[name] as? [String: Any])
        #expect(adapter.method.rawValue == expectedCase["method"] as? String)
        #expect(adapter.normAxis == (adapter.method == .dora ? .output : nil))
        let scalings = try #require(expectedCase["scaling"] as? [String: Double])
        let ranks = try #require(expectedCase["ranks"] as? [String: Int])
        #expect(Set(adapter.targetLayers) == Set(scalings.keys))
        for layer in adapter.layers {
            #expect(abs(layer.scaling - (scalings[layer.name] ?? .nan)) <= 1e-15 * layer.scaling, "\(layer.name) scaling")
            #expect(layer.rank == ranks[layer.name])
        }
        let merged = try base.merged(with: [WeightedAdapter(adapter)], baseFingerprint: base.computeFingerprint())
        let expected = try SafetensorsFile(path: InteropFixtures.path("expected_merged.safetensors"))
        for layer in merged.layers {
            let error = InteropFixtures.relativeError(layer.weight.values, try expected.floats("\(name)/\(layer.name)"))
            #expect(error <= Self.tolerance, "\(name) \(layer.name): relative error \(error)")
        }
    }

    @Test func patternsBecomePerLayerRankAndScaling() throws {
        let adapter = try InteropFixtures.adapter("peft_pattern")
        #expect(adapter.rank == 4 && adapter.scaling == 2)
        #expect(adapter.layer(named: "layers.2")?.rank == 2)
        #expect(adapter.layer(named: "layers.2")?.scaling == 4)
        #expect(adapter.layer(named: "layers.4")?.scaling == 0.75)
        // The per-layer overrides survive the HDF5 file.
        let dir = try TemporaryDirectory()
        try adapter.write(to: dir.file("a.h5"))
        #expect(try Adapter.read(from: dir.file("a.h5")).layers == adapter.layers)
    }

    @Test(arguments: ["peft_refused_lora_bias", "peft_refused_modules_to_save", "peft_refused_embedding", "peft_refused_unknown_key"])
    func refusesWhatItCannotRepresent(name: String) throws {
        let fragment = try #require((try InteropFixtures.expected()["refused"] as? [String: String])?[name])
        do {
            _ = try InteropFixtures.adapter(name)
            Issue.record("\(name) was imported")
        } catch {
            #expect(String(describing: error).contains(fragment), "\(String(describing: error))")
            #expect(String(describing: error).contains("cannot be represented"), "\(String(describing: error))")
        }
    }

    @Test func requiresABaseUnlessAdaptoolExportedIt() throws {
        #expect(throws: InteropError.self) { try PEFTImport.adapter(from: PEFTFolder(folder: InteropFixtures.path("peft_lora")), base: nil) }
        do {
            _ = try PEFTImport.adapter(from: PEFTFolder(folder: InteropFixtures.path("peft_lora")), base: nil)
        } catch {
            guard case .missingBase = error else { Issue.record("expected missingBase, got \(error)"); return }
            #expect(!String(describing: error).contains("--"), "a library error names no CLI flag: \(error)")
        }
    }

    @Test func baseMayBeTheStateDictOrItsCheckpoint() throws {
        let dir = try TemporaryDirectory()
        let source = InteropFixtures.path("base_state_dict.safetensors")
        _ = try Interop.importFile(source, to: dir.file("base.h5"))
        let fromStateDict = try BaseReference(path: source), fromCheckpoint = try BaseReference(path: dir.file("base.h5"))
        #expect(fromStateDict.fingerprint == fromCheckpoint.fingerprint)
        #expect(fromStateDict.shapes.map(\.name) == fromCheckpoint.shapes.map(\.name))
    }

    @Test func checksEveryShapeAgainstTheBase() throws {
        let wrong = BaseReference(fingerprint: String(repeating: "0", count: 64),
                                  shapes: [("layers.0", 16, 12), ("layers.2", 10, 16), ("layers.4", 7, 10)])
        do {
            _ = try PEFTImport.adapter(from: PEFTFolder(folder: InteropFixtures.path("peft_lora")), base: wrong)
            Issue.record("a shape mismatch was accepted")
        } catch {
            #expect(String(describing: error).contains("[7, 10]"), "\(String(describing: error))")
        }
        let missing = BaseReference(fingerprint: String(repeating: "0", count: 64), shapes: [("layers.0", 16, 12)])
        #expect(throws: InteropError.self) { try PEFTImport.adapter(from: PEFTFolder(folder: InteropFixtures.path("peft_lora")), base: missing) }
    }

    /// A copy of fixture folder `name` with its config replaced by `config`.
    private func folder(copying name: String, config: String, in dir: TemporaryDirectory) throws -> PEFTFolder {
        let path = dir.file(name)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: InteropFixtures.path(name + "/adapter_model.safetensors"), toPath: path + "/adapter_model.safetensors")
        try Data(config.utf8).write(to: URL(fileURLWithPath: path + "/adapter_config.json"))
        return PEFTFolder(folder: path)
    }

    @Test func fanInFanOutLeavesTheFactorsAsTheyAre() throws {
        let dir = try TemporaryDirectory()
        let base = try InteropFixtures.base()
        let reference = BaseReference(fingerprint: base.computeFingerprint(), shapes: base.layers.map { ($0.name, $0.outputSize, $0.inputSize) })
        let copy = try folder(copying: "peft_lora", config: #"{"peft_type":"LORA","r":4,"lora_alpha":8,"fan_in_fan_out":true}"#, in: dir)
        #expect(try PEFTImport.adapter(from: copy, base: reference).adapter.layers == InteropFixtures.adapter("peft_lora").layers)
    }

    @Test func configAndTensorsMustAgree() throws {
        let base = try InteropFixtures.base()
        let reference = BaseReference(fingerprint: base.computeFingerprint(), shapes: base.layers.map { ($0.name, $0.outputSize, $0.inputSize) })
        let cases: [(String, String, String)] = [
            ("peft_lora", #"{"peft_type":"LORA","r":8,"lora_alpha":8}"#, "expected [8, in]"),
            ("peft_dora", #"{"peft_type":"LORA","r":2,"lora_alpha":4}"#, "use_dora false"),
            ("peft_lora", #"{"peft_type":"LORA","r":4,"lora_alpha":8,"use_dora":true}"#, "lora_magnitude_vector\" is missing"),
        ]
        for (index, (name, config, fragment)) in cases.enumerated() {
            let sub = try TemporaryDirectory()
            do {
                _ = try PEFTImport.adapter(from: folder(copying: name, config: config, in: sub), base: reference)
                Issue.record("case \(index) was accepted")
            } catch {
                #expect(String(describing: error).contains(fragment), "case \(index): \(error)")
            }
        }
    }

    @Test func readsTheConfigLikePEFT() throws {
        let config = try PEFTConfig(json: Array(#"{"peft_type":"LORA","r":8,"lora_alpha":16,"use_rslora":true,"rank_pattern":{"fc\\d":2},"alpha_pattern":{"model.fc1":3}}"#.utf8), path: "c.json")
        #expect(try config.rank(for: "fc1", path: "c.json") == 2)
        #expect(try config.rank(for: "model.fc1", path: "c.json") == 2)
        #expect(try config.rank(for: "xfc1", path: "c.json") == 8)
        #expect(try config.scaling(for: "model.fc1", path: "c.json") == 3 / 2.0.squareRoot())
        #expect(try config.scaling(for: "out", path: "c.json") == 16 / 8.0.squareRoot())
        #expect(throws: InteropError.self) { try PEFTConfig(json: Array(#"{"peft_type":"LOHA"}"#.utf8), path: "c.json") }
        #expect(throws: InteropError.self) { try PEFTConfig(json: Array(#"{"peft_type":"LORA","bias":"all"}"#.utf8), path: "c.json") }
    }
}
