import AdapterTestSupport
import Foundation
import Testing

/// Issue 9: `adaptool import PEFT_DIR --base BASE -o adapter.h5` for PEFT adapters on transformer
/// models: targets, ranks, scalings (rsLoRA, rank/alpha patterns), DoRA, GPT-2 Conv1D, and one
/// error line naming the module when the adapter does not fit its base.
@Suite struct PEFTModelImportCLITests {
    /// A Llama folder, its v2 import `base.h5`, and a temporary folder.
    struct Setup {
        let dir: TemporaryDirectory
        var model: String { dir.file("llama") }
        var base: String { dir.file("base.h5") }

        init(dtype: String = "F32") throws {
            dir = try TemporaryDirectory()
            try TinyTransformers.generate(["llama", dir.file("llama"), dtype, "2"])
            let result = try ExternalProcess.adaptool(["import", dir.file("llama"), "-o", dir.file("base.h5")])
            try #require(result.status == 0, "\(result.stderr)")
        }
    }

    static let q0 = "model.layers.0.self_attn.q_proj", q1 = "model.layers.1.self_attn.q_proj"
    static let v0 = "model.layers.0.self_attn.v_proj", down0 = "model.layers.0.mlp.down_proj"

    /// rsLoRA with rank and alpha patterns, BF16 factors, against the v2 base and against the
    /// model folder itself: the same targets, ranks, scalings (PEFT's formulas) and factor bytes.
    @Test func loRAWithPatternsAndRSLoRA() throws {
        let setup = try Setup()
        let modules: [String: [String: [Int]]] = [
            Self.q0: ["A": [2, 32], "B": [32, 2]], Self.q1: ["A": [2, 32], "B": [32, 2]], Self.down0: ["A": [4, 48], "B": [32, 4]],
        ]
        let config: [String: Any] = ["use_rslora": true, "rank_pattern": ["q_proj": 2], "alpha_pattern": ["layers.1.self_attn.q_proj": 6]]
        let written = try TinyTransformers.peft(setup.dir.file("peft"), config: config, modules: modules, dtype: "BF16")
        var adapters: [[String: [String: Any]]] = []
        for base in [setup.base, setup.model] {
            let output = setup.dir.file("adapter-\(adapters.count).h5")
            let result = try ExternalProcess.adaptool(["import", setup.dir.file("peft"), "--base", base, "-o", output])
            #expect(result.status == 0 && result.stderr.isEmpty, "\(result.stderr)")
            #expect(result.stdout.contains("lora adapter") && result.stdout.contains("3 targets, rank 2/4"), "\(result.stdout)")
            adapters.append(try TinyTransformers.read(TinyTransformers.readAdapter, output))
        }
        #expect(NSDictionary(dictionary: adapters[0]) == NSDictionary(dictionary: adapters[1]))
        let adapter = adapters[0]
        let root2: Double = 2.0.squareRoot()
        let expected: [(module: String, rank: Int, scaling: Double)] = [(Self.q0, 2, 8 / root2), (Self.q1, 2, 6 / root2), (Self.down0, 4, 4)]
        for (module, rank, scaling) in expected {
            let target = try #require(adapter[module + ".weight"], "\(module)")
            #expect(target["rank"] as? Int == rank && target["layout"] as? String == "out_in", "\(module)")
            #expect(abs((target["scaling"] as? Double ?? 0) - scaling) <= 1e-15 * scaling, "\(module) scaling \(target["scaling"] ?? "nil")")
            let roles = try #require(target["roles"] as? [String: [String: Any]])
            for (role, key) in [("A", ".lora_A.weight"), ("B", ".lora_B.weight")] {
                #expect(roles[role]?["dtype"] as? String == "bfloat16", "\(module) \(role)")
                #expect(roles[role]?["hex"] as? String == written["base_model.model." + module + key]?["hex"] as? String, "\(module) \(role)")
            }
        }
        let root = try #require(adapter["__root__"])
        #expect(root["method"] as? String == "lora" && root["format_version"] as? Int == 2)
        let base = try TinyTransformers.read(TinyTransformers.readBack, setup.base)
        #expect(root["base_fingerprint"] as? String == base["__root__"]?["fingerprint"] as? String)
    }

    /// use_dora selects DoRA from the registry: each target gets its magnitude.
    @Test func doRAOnSomeModules() throws {
        let setup = try Setup(dtype: "F16")
        let modules: [String: [String: [Int]]] = [
            Self.q0: ["A": [4, 32], "B": [32, 4], "magnitude": [32]], Self.v0: ["A": [4, 32], "B": [16, 4], "magnitude": [16]],
        ]
        try TinyTransformers.peft(setup.dir.file("peft"), config: ["use_dora": true, "target_modules": ["q_proj", "v_proj"], "lora_alpha": 16],
                                  modules: modules, dtype: "F16")
        let result = try ExternalProcess.adaptool(["import", setup.dir.file("peft"), "--base", setup.base, "-o", setup.dir.file("dora.h5")])
        #expect(result.status == 0, "\(result.stderr)")
        let adapter = try TinyTransformers.read(TinyTransformers.readAdapter, setup.dir.file("dora.h5"))
        #expect(adapter["__root__"]?["method"] as? String == "dora")
        let target = try #require(adapter[Self.v0 + ".weight"])
        #expect(target["scaling"] as? Double == 4 && target["rank"] as? Int == 4)
        let roles = try #require(target["roles"] as? [String: [String: Any]])
        #expect(roles.keys.sorted() == ["A", "B", "magnitude"] && roles["magnitude"]?["shape"] as? [Int] == [16])
        #expect(roles["A"]?["dtype"] as? String == "float16")
    }

    /// GPT-2's Conv1D weights are [in, out]: the targets are `in_out`, matched against the hub's
    /// names (no `transformer.` prefix); PEFT forces fan_in_fan_out on, and the user is told.
    @Test func gpt2Conv1DWithFanInFanOut() throws {
        let dir = try TemporaryDirectory()
        try TinyTransformers.generate(["gpt2", dir.file("gpt2")])
        let modules: [String: [String: [Int]]] = [
            "transformer.h.0.attn.c_attn": ["A": [4, 32], "B": [96, 4]], "transformer.h.0.mlp.c_proj": ["A": [4, 128], "B": [32, 4]],
        ]
        for fanInFanOut in [true, false] {
            let peft = dir.file("peft-\(fanInFanOut)")
            try TinyTransformers.peft(peft, config: ["fan_in_fan_out": fanInFanOut, "target_modules": ["c_attn", "c_proj"]], modules: modules)
            let output = dir.file("gpt2-\(fanInFanOut).h5")
            let result = try ExternalProcess.adaptool(["import", peft, "--base", dir.file("gpt2"), "-o", output])
            #expect(result.status == 0, "\(result.stderr)")
            #expect(result.stderr.contains("read as fan_in_fan_out true, as PEFT does") == !fanInFanOut, "\(result.stderr)")
            let adapter = try TinyTransformers.read(TinyTransformers.readAdapter, output)
            #expect(adapter["h.0.attn.c_attn.weight"]?["layout"] as? String == "in_out")
            #expect(adapter["h.0.mlp.c_proj.weight"]?["layout"] as? String == "in_out")
            #expect(adapter["h.0.mlp.c_proj.weight"]?["scaling"] as? Double == 2)
        }
    }

    /// Each way an adapter can fail to fit its base is one line naming the file and the module;
    /// nothing is written and the inputs are untouched.
    @Test(arguments: [
        ("shape", [Self.q0: ["A": [4, 31], "B": [32, 4]]], "{}",
         "\(Self.q0): lora_A is [4, 31], the base weight needs [4, 32]"),
        ("missing module", ["model.layers.9.self_attn.q_proj": ["A": [4, 32], "B": [32, 4]]], "{}",
         "model.layers.9.self_attn.q_proj: the base has no tensor \"model.layers.9.self_attn.q_proj.weight\""),
        ("not targeted", [Self.down0: ["A": [4, 48], "B": [32, 4]]], #"{"target_modules": ["q_proj"]}"#,
         "\(Self.down0): has factors in the adapter but target_modules does not select it"),
        ("regex", [Self.q0: ["A": [4, 32], "B": [32, 4]]], #"{"target_modules": ".*layers\\.1\\..*"}"#,
         "\(Self.q0): has factors in the adapter but target_modules does not select it"),
        ("excluded", [Self.q0: ["A": [4, 32], "B": [32, 4]]], #"{"exclude_modules": ["q_proj"]}"#,
         "\(Self.q0): has factors in the adapter but it matches exclude_modules"),
        ("rank", [Self.q0: ["A": [4, 32], "B": [32, 4]]], #"{"rank_pattern": {"q_proj": 8}}"#,
         "\(Self.q0): lora_A has 4 rows but adapter_config.json gives rank 8"),
        ("stray magnitude", [Self.q0: ["A": [4, 32], "B": [32, 4], "magnitude": [32]]], "{}",
         "lora_magnitude_vector\" cannot be represented by adaptool (a \"magnitude\" factor, which method lora"),
        ("output layer", ["lm_head": ["A": [4, 32], "B": [64, 4]]], "{}",
         "lm_head: has factors in the adapter but target_modules \"all-linear\" leaves out the output layer lm_head"),
    ] as [(String, [String: [String: [Int]]], String, String)])
    func aMisfitNamesTheModule(_ name: String, _ modules: [String: [String: [Int]]], _ configJSON: String, _ message: String) throws {
        let setup = try Setup()
        let peft = setup.dir.file("peft")
        let config = try #require(try JSONSerialization.jsonObject(with: Data(configJSON.utf8)) as? [String: Any])
        try TinyTransformers.peft(peft, config: config, modules: modules)
        let before = try setup.dir.contents()
        let result = try ExternalProcess.adaptool(["import", peft, "--base", setup.base, "-o", setup.dir.file("adapter.h5")])
        let file = peft + "/adapter_model.safetensors"
        OutputFixture.expectOneLineFailure(result, naming: file, [name])
        #expect(result.stderr.contains(message), "\(name): \(result.stderr)")
        #expect(try setup.dir.contents() == before)
        #expect(try OutputFixture.leftovers(in: setup.dir.path).isEmpty)
    }

    /// A key that is no PEFT factor is refused by name, never skipped.
    @Test func anUnknownKeyIsRefused() throws {
        let setup = try Setup()
        let peft = setup.dir.file("peft")
        try TinyTransformers.peft(peft, config: [:], modules: [Self.q0: ["A": [4, 32], "B": [32, 4]]])
        let script = """
            import sys
            from safetensors.numpy import load_file, save_file
            import numpy as np
            t = load_file(sys.argv[1]); t["base_model.model.model.layers.0.self_attn.q_proj.lora_C.weight"] = np.zeros((1, 1), "<f4")
            save_file(t, sys.argv[1])
            """
        let made = try ExternalProcess.python(["-c", script, peft + "/adapter_model.safetensors"])
        try #require(made.status == 0, "\(made.stderr)")
        let result = try ExternalProcess.adaptool(["import", peft, "--base", setup.base, "-o", setup.dir.file("adapter.h5")])
        OutputFixture.expectOneLineFailure(result, naming: peft + "/adapter_model.safetensors", ["unknown key"])
        #expect(result.stderr.contains("lora_C.weight\" cannot be represented by adaptool (not a lora_A, lora_B or lora_magnitude_vector"), "\(result.stderr)")
    }
}
