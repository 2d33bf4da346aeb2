import Foundation
import Testing
import AdapterTestSupport

/// `adaptool inspect` on format v2 files (named tensors), run as a user would: the tensor table
/// grouped by module, dtype totals, architecture and fingerprint; an adapter's targets; `--verify`
/// naming the tensor whose digest fails; every invalid v2 fixture is one error line naming the file.
@Suite struct InspectV2CLITests {
    static func path(_ name: String) -> String { PackagePaths.fixtures + "/v2/" + name }
    nonisolated(unsafe) static let expected: [String: Any] = {
        guard let data = FileManager.default.contents(atPath: path("expected_v2.json")),
              let json = try? JSONSerialization.jsonObject(with: Data(data)) as? [String: Any] else { return [:] }
        return json
    }()
    /// Invalid checkpoints and adapters with the message each must give.
    static var invalid: [String: String] {
        (expected["invalid"] as? [String: String] ?? [:]).merging(expected["invalid_adapters"] as? [String: String] ?? [:]) { first, _ in first }
    }
    static var invalidNames: [String] { invalid.keys.sorted() }

    static func inspect(_ arguments: [String]) throws -> ProcessResult {
        try ExternalProcess.run("/usr/bin/timeout", ["-s", "KILL", "60", PackagePaths.adaptoolBinary, "inspect"] + arguments)
    }

    @Test func checkpointTableGroupsByModuleWithDtypeTotals() throws {
        let result = try Self.inspect([Self.path("checkpoint_v2.h5")])
        #expect(result.status == 0 && !result.crashed, "\(result.stderr)")
        #expect(result.stdout.contains("adaptool checkpoint (format v2, named tensors)"))
        let lines = result.stdout.split(separator: "\n").map(String.init)
        let q = try #require(lines.firstIndex { $0.hasPrefix("model.layers.0.self_attn.q_proj ") }, "\(result.stdout)")
        #expect(lines[q].contains("weight") && lines[q].contains("float16"))
        #expect(lines[q + 1].hasPrefix(" ") && lines[q + 1].contains("bias"), "the module is printed once per group")
        #expect(lines.contains { $0.hasPrefix("bfloat16") && $0.contains("64") }, "dtype totals")
        #expect(result.stdout.contains("architecture: tiny") && result.stdout.contains("config.json"))

        let json = try Self.inspect(["--json", Self.path("checkpoint_v2.h5")])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let valid = (Self.expected["valid"] as? [String: [String: Any]])?["checkpoint_v2.h5"]
        #expect(object["fingerprint"] as? String == valid?["fingerprint"] as? String)
        #expect(object["formatVersion"] as? Int == 2 && object["kind"] as? String == "checkpoint")
        #expect((object["tensors"] as? [[String: Any]])?.count == 12)
    }

    @Test func verifyPassesOnValidFilesAndNamesTheTamperedTensor() throws {
        for name in ["checkpoint_v2.h5", "checkpoint_v2_bigendian.h5", "adapter_lora_v2.h5", "adapter_dora_v2.h5"] {
            let result = try Self.inspect(["--verify", Self.path(name)])
            #expect(result.status == 0 && result.stdout.contains("verification:") && !result.stdout.contains("FAIL"), "\(name): \(result.stderr)")
        }
        let tampered = Self.path("v2_tampered.h5")
        let result = try Self.inspect(["--verify", tampered])
        InputTest.expectOneErrorLine(result, naming: tampered, containing: #"tensor "b" does not match its sha256"#)
    }

    @Test func adapterShowsTargetsRankScalingAndTheBase() throws {
        let result = try Self.inspect(["--json", "--verify", "--base", Self.path("checkpoint_v2.h5"), Self.path("adapter_dora_v2.h5")])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["method"] as? String == "dora" && object["baseFingerprintMatches"] as? Bool == true)
        let targets = try #require(object["targets"] as? [[String: Any]])
        #expect(targets.map { $0["tensor"] as? String } == ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.mlp.down_proj.weight"])
        #expect(targets.map { $0["rank"] as? Int } == [2, 3] && targets.map { $0["scaling"] as? Double } == [2.0, 0.5])
        #expect(targets[0]["roles"] as? [String] == ["A", "B", "magnitude"] && targets[1]["baseShape"] as? [Int] == [4, 6])
        let text = try Self.inspect([Self.path("adapter_lora_v2.h5")])
        #expect(text.stdout.contains("model.layers.0.mlp.down_proj.weight") && text.stdout.contains("method:       lora"))
    }

    @Test(arguments: invalidNames)
    func invalidFilesAreOneErrorLine(_ name: String) throws {
        let message = try #require(Self.invalid[name])
        let before = try FileManager.default.contentsOfDirectory(atPath: PackagePaths.fixtures + "/v2")
        let result = try Self.inspect([Self.path(name)])
        InputTest.expectOneErrorLine(result, naming: Self.path(name), containing: message)
        #expect(try FileManager.default.contentsOfDirectory(atPath: PackagePaths.fixtures + "/v2") == before)
    }
}
