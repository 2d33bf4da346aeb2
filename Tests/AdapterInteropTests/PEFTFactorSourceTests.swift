import AdapterCore
import AdapterTestSupport
import Foundation
import Testing
@testable import AdapterInterop

/// ``PEFTFactorSource`` as the direct merge uses it: a fixture PEFT folder against its model folder.
@Suite struct PEFTFactorSourceTests {
    static let folder = PackagePaths.fixtures + "/transformers"

    static func expectedAdapter(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json"))
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require((document["adapters"] as? [String: Any])?[name] as? [String: Any])
    }

    @Test(arguments: ["llama-rslora-patterns", "gpt2-dora-conv1d", "llama-bf16-lora"])
    func manifestAndFactorsMatchTheFolder(_ name: String) throws {
        let expected = try Self.expectedAdapter(name)
        let model = try #require(ModelFolder.detect(Self.folder + "/" + (expected["base"] as? String ?? "")))
        let base = try model.reader()
        let source = try PEFTFactorSource(folder: Self.folder + "/" + name, base: base, baseArchitecture: try model.modelType())
        let targets = try #require(expected["targets"] as? [String: [String: Any]])
        #expect(source.manifest.method == expected["method"] as? String)
        #expect(source.method.name == source.manifest.method)
        #expect(Set(source.manifest.targets.map(\.tensor)) == Set(targets.keys))
        let baseOrder = base.tensors.map(\.name).filter(Set(targets.keys).contains)
        #expect(source.manifest.targets.map(\.tensor) == baseOrder, "targets in the base's order")
        let weights = try SafetensorsFile(path: Self.folder + "/" + name + "/adapter_model.safetensors")
        for target in source.manifest.targets {
            let want = try #require(targets[target.tensor])
            #expect(target.rank == want["rank"] as? Int)
            #expect(target.scaling == want["scaling"] as? Double)
            for role in target.factors.keys {
                let key = try #require(source.peftKey(tensor: target.tensor, role: role))
                #expect(try source.factorValues(tensor: target.tensor, role: role) == weights.float64Values(of: key))
                #expect(try source.factorBytes(tensor: target.tensor, role: role) == weights.rawBytes(of: key))
                #expect(target.factors[role]?.dtype == weights.info(named: key)?.dtype)
            }
        }
        #expect(throws: InteropError.self) { try source.factorValues(tensor: "nope.weight", role: "A") }
    }

    @Test func aFolderThatIsNoAdapterIsRefused() throws {
        let model = try #require(ModelFolder.detect(Self.folder + "/llama-f32"))
        #expect(throws: InteropError.self) { try PEFTFactorSource(folder: Self.folder + "/llama-f32/config.json", base: try model.reader()) }
    }
}
