import AdapterTestSupport
import Foundation
import Testing

/// "Ten thousand tiny tensors": a sharded model folder of many 2×2 tensors goes through import →
/// inspect → merge (a LoRA on three of them) → diff → export and the direct merge, with correct
/// results, and every step reads the files with a bounded number of `read`/`pread64` calls per
/// tensor (a name lookup by linear scan, a header parsed again per tensor or a group walked once per
/// dataset would make that count grow with the square of the tensor count).
///
/// 2,000 tensors, not 10,000: the whole pipeline on 10,000 took about 27 s in a debug build (linear:
/// 2,500 took about 5 s; the release build does the 10,000 in about 9 s), too slow for `make test`.
@Suite struct ManyTinyTensorsCLITests {
    static let tensors = 2_000
    /// The modules the LoRA adapts: the first, one in the middle and the last.
    static let adapted = [1, tensors / 2, tensors - 1]
    /// About 5 reads per tensor today (HDF5 reads each dataset's header and its attributes, then
    /// the data): 12 leaves room for HDF5 versions while any per-tensor O(n) re-read fails it.
    static let readsPerTensor = 12

    /// The `read` + `pread64` calls of one run under `strace -c`, or nil when strace cannot run here
    /// (the run's result is returned either way).
    private func traced(_ arguments: [String], in dir: TemporaryDirectory) throws -> (ProcessResult, Int?) {
        guard let strace = ["/usr/bin/strace", "/bin/strace"].first(where: FileManager.default.isExecutableFile(atPath:)) else {
            return (try InputTest.adaptool(arguments), nil)
        }
        let summary = dir.file("strace.txt")
        let run = try ExternalProcess.run(strace, ["-f", "-c", "-e", "trace=read,pread64", "-o", summary, PackagePaths.adaptoolBinary] + arguments)
        guard let text = try? String(contentsOfFile: summary, encoding: .utf8), text.contains("total") else { return (run, nil) }
        try FileManager.default.removeItem(atPath: summary)
        // A row reads: % time, seconds, usecs/call, calls, [errors,] syscall.
        let calls = text.split(separator: "\n").filter { $0.hasSuffix(" read") || $0.hasSuffix(" pread64") }
            .compactMap { $0.split(separator: " ").dropFirst(3).first.flatMap { Int($0) } }
        return (run, calls.reduce(0, +))
    }

    /// Runs one step; expects `status`, no crash, and at most `readsPerTensor` reads per tensor.
    @discardableResult
    private func step(_ arguments: [String], status: Int32 = 0, in dir: TemporaryDirectory) throws -> ProcessResult {
        let (result, reads) = try traced(arguments, in: dir)
        #expect(result.status == status && !result.crashed, "\(arguments.joined(separator: " ")): \(result.stderr.prefix(300))")
        if let reads {
            #expect(reads < Self.readsPerTensor * Self.tensors, "\(arguments[0]) made \(reads) reads for \(Self.tensors) tensors")
        }
        return result
    }

    @Test func aModelOfManyTinyTensorsGoesThroughEveryCommandLinearly() throws {
        let dir = try TemporaryDirectory()
        try InputTest.python("""
            import json, os, sys
            import numpy as np
            from safetensors.numpy import save_file
            root, n, adapted = sys.argv[1], int(sys.argv[2]), json.loads(sys.argv[3])
            model, peft = os.path.join(root, "model"), os.path.join(root, "peft")
            os.makedirs(model); os.makedirs(peft)
            rng = np.random.default_rng(0)
            names = ["model.layers.%d.proj.weight" % i for i in range(n)]
            shards = {"model-00001-of-00002.safetensors": names[:n // 2], "model-00002-of-00002.safetensors": names[n // 2:]}
            weight_map = {}
            for shard, part in shards.items():
                save_file({k: rng.uniform(-1, 1, (2, 2)).astype("<f4") for k in part}, os.path.join(model, shard), {"format": "pt"})
                weight_map.update({k: shard for k in part})
            json.dump({"metadata": {"total_size": 16 * n}, "weight_map": weight_map}, open(os.path.join(model, "model.safetensors.index.json"), "w"))
            json.dump({"model_type": "tiny"}, open(os.path.join(model, "config.json"), "w"))
            factors = {}
            for t in adapted:
                key = "base_model.model.model.layers.%d.proj" % t
                factors[key + ".lora_A.weight"] = rng.uniform(-1, 1, (1, 2)).astype("<f4")
                factors[key + ".lora_B.weight"] = rng.uniform(-1, 1, (2, 1)).astype("<f4")
            save_file(factors, os.path.join(peft, "adapter_model.safetensors"))
            json.dump({"peft_type": "LORA", "r": 1, "lora_alpha": 2, "bias": "none", "use_dora": False,
                       "target_modules": ["model.layers.%d.proj" % t for t in adapted]}, open(os.path.join(peft, "adapter_config.json"), "w"))
            """, [dir.path, String(Self.tensors), "\(Self.adapted)"])
        let (model, peft) = (dir.file("model"), dir.file("peft"))
        let imported = try step(["import", model, "-o", dir.file("base.h5")], in: dir)
        #expect(imported.stdout.contains("\(Self.tensors) tensors"))
        let inspected = try step(["inspect", "--verify", dir.file("base.h5")], in: dir)
        #expect(inspected.stdout.contains("model.layers.\(Self.tensors - 1).proj"))
        try step(["import", peft, "--base", dir.file("base.h5"), "-o", dir.file("adapter.h5")], in: dir)
        let merged = try step(["merge", dir.file("base.h5"), dir.file("adapter.h5"), "-o", dir.file("merged.h5")], in: dir)
        #expect(merged.stdout.contains("\(Self.tensors) tensors, 3 changed"), "\(merged.stdout)")
        let diff = try step(["diff", dir.file("base.h5"), dir.file("merged.h5")], status: 1, in: dir)
        #expect(diff.stdout.contains("3 of \(Self.tensors) tensors differ"), "\(diff.stdout.suffix(300))")
        for module in Self.adapted { #expect(diff.stdout.contains("model.layers.\(module).proj")) }
        try step(["export", dir.file("merged.h5"), "-o", dir.file("exported")], in: dir)
        try step(["merge", model, peft, "-o", dir.file("direct")], in: dir)
        // Both outputs: every tensor of the input, untouched ones byte for byte, the three adapted
        // ones W + 2·B·A (alpha / r = 2) rounded once to float32.
        try InputTest.python("""
            import json, os, sys
            import numpy as np
            from safetensors.numpy import load_file
            root, adapted = sys.argv[1], json.loads(sys.argv[2])
            def load(folder):
                out = {}
                for name in sorted(os.listdir(folder)):
                    if name.endswith(".safetensors"):
                        out.update(load_file(os.path.join(folder, name)))
                return out
            base, factors = load(os.path.join(root, "model")), load_file(os.path.join(root, "peft", "adapter_model.safetensors"))
            expected = dict(base)
            for t in adapted:
                key = "base_model.model.model.layers.%d.proj" % t
                a, b = factors[key + ".lora_A.weight"].astype(np.float64), factors[key + ".lora_B.weight"].astype(np.float64)
                name = "model.layers.%d.proj.weight" % t
                expected[name] = (base[name].astype(np.float64) + 2 * b @ a).astype(np.float32)
            for out in ("exported", "direct"):
                got = load(os.path.join(root, out))
                assert sorted(got) == sorted(expected), out + ": tensor names differ"
                bad = [n for n in expected if got[n].tobytes() != expected[n].tobytes()]
                assert not bad, "%s: %d tensors differ, first %s" % (out, len(bad), bad[0])
            """, [dir.path, "\(Self.adapted)"])
        #expect(try InputTest.leftovers(in: dir.path).isEmpty)
    }
}
