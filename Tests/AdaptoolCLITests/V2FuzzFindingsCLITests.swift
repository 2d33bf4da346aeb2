import AdapterTestSupport
import Foundation
import Testing

/// What the seeded fuzzer's format v2 kinds (`fuzz.py --kinds v2h5,model,peft2`) found. Each test
/// names the replay seed (`--seed S`, case index) that found it; every case runs through the CLI.
@Suite struct V2FuzzFindingsCLITests {
    /// Writes (Fixtures/v2/write_v2.py) `ck.h5`, a v2 checkpoint with a [4, 4] float32 weight `w`,
    /// a bias `b` and an int64 buffer `ids`, and `adapter.h5`, a LoRA (rank 1) made for it whose one
    /// target names `target` with an `A` of `inputs` columns.
    private func writePair(in dir: TemporaryDirectory, target: String, inputs: Int = 4) throws {
        try InputTest.python("""
            import sys, os
            sys.path.insert(0, sys.argv[1])
            import numpy as np
            from write_v2 import write_checkpoint, write_adapter, model_fingerprint
            root, target, inputs = sys.argv[2], sys.argv[3], int(sys.argv[4])
            tensors = [("w", "float32", np.ones((4, 4), np.float32)), ("b", "float32", np.ones(4, np.float32)),
                       ("ids", "int64", np.arange(4, dtype=np.int64))]
            digests = write_checkpoint(os.path.join(root, "ck.h5"), tensors, architecture="llama")
            factors = {"A": ("float32", np.ones((1, inputs), np.float32)), "B": ("float32", np.ones((4, 1), np.float32))}
            write_adapter(os.path.join(root, "adapter.h5"), "lora", [{"tensor": target, "rank": 1, "scaling": 1.0, "factors": factors}],
                          base_fingerprint=model_fingerprint(digests))
            """, [PackagePaths.fixtures + "/v2", dir.path, target, String(inputs)])
    }

    static let misfits: [(target: String, inputs: Int, message: String)] = [
        ("ids", 4, "ids: the base tensor is int64 [4]; an adapter target must be a 2-D floating-point weight"),
        ("b", 4, "b: the base tensor is float32 [4]; an adapter target must be a 2-D floating-point weight"),
        ("w", 3, "w: A is [1, 3], the base weight needs [1, 4]"),
    ]

    /// `fuzz.py --seed 1 --kinds v2h5`, case 1863 ("adapter lora: target moved to .hidden_scalar", label
    /// "v2 inspect --base"): `inspect --verify ADAPTER --base BASE` printed "ok base tensors: every
    /// target is a tensor of BASE" and exited 0 for a target on an int64 buffer, a bias or a weight
    /// of another shape, which merge refuses. It now applies the method's check and fails.
    @Test(arguments: misfits)
    func inspectVerifyWithBaseRefusesATargetTheBaseCannotTake(_ misfit: (target: String, inputs: Int, message: String)) throws {
        let dir = try TemporaryDirectory()
        try writePair(in: dir, target: misfit.target, inputs: misfit.inputs)
        let result = try InputTest.adaptool(["inspect", "--verify", dir.file("adapter.h5"), "--base", dir.file("ck.h5")])
        InputTest.expectOneErrorLine(result, naming: dir.file("adapter.h5"), containing: misfit.message)
        #expect(result.stdout.contains("FAIL base tensors"), "\(result.stdout)")
        let merge = try InputTest.adaptool(["merge", dir.file("ck.h5"), dir.file("adapter.h5"), "-o", dir.file("out.h5")])
        #expect(merge.status == 1 && merge.stderr.contains(misfit.message), "\(merge.stderr)")
        #expect(try dir.contents() == ["adapter.h5", "ck.h5"])
    }

    /// The control: a target that fits passes `inspect --verify --base`.
    @Test func inspectVerifyWithBaseAcceptsATargetThatFits() throws {
        let dir = try TemporaryDirectory()
        try writePair(in: dir, target: "w")
        let result = try InputTest.adaptool(["inspect", "--verify", dir.file("adapter.h5"), "--base", dir.file("ck.h5")])
        #expect(result.status == 0 && !result.crashed, "\(result.stderr)")
        #expect(result.stdout.contains("ok   base tensors"), "\(result.stdout)")
    }

    // MARK: model.safetensors.index.json is read as an input file, with a size limit

    static let hostileIndexes: [(kind: String, message: String)] = [
        ("fifo", "is a FIFO (named pipe), not a regular file; expected a JSON index"),
        ("device", "is a device, not a regular file; expected a JSON index"),
        ("huge", "bytes; expected a JSON index of at most 67108864 bytes"),
    ]

    /// Found by hand while extending the fuzzer's `model` kind (its FIFO and link mutations now
    /// cover the index): an index that is a FIFO or a link to /dev/zero was refused with
    /// Foundation's "cannot be read (… You don't have permission.)", and a 6 GB sparse index with
    /// "NSCocoaErrorDomain error 256"; nothing bounded how much of an index was read.
    @Test(arguments: hostileIndexes)
    func importRefusesAnIndexThatIsNotASmallRegularFile(_ hostile: (kind: String, message: String)) throws {
        let dir = try TemporaryDirectory()
        let model = dir.file("model"), index = dir.file("model/model.safetensors.index.json")
        try FileManager.default.copyItem(atPath: PackagePaths.fixtures + "/transformers/llama-f32", toPath: model)
        try FileManager.default.removeItem(atPath: index)
        switch hostile.kind {
        case "fifo": #expect(mkfifo(index, 0o644) == 0)
        case "device": try FileManager.default.createSymbolicLink(atPath: index, withDestinationPath: "/dev/zero")
        default: #expect(FileManager.default.createFile(atPath: index, contents: nil) && truncate(index, 100 << 20) == 0)
        }
        for arguments in [["import", model, "-o", dir.file("out.h5")], ["merge", model, PackagePaths.fixtures + "/transformers/llama-lora-all-linear", "-o", dir.file("out")]] {
            let result = try InputTest.adaptool(arguments)
            InputTest.expectOneErrorLine(result, naming: index, containing: hostile.message)
            #expect(try dir.contents() == ["model"])
        }
    }

    // MARK: Names from a model folder reach the terminal escaped

    /// `fuzz.py --seed 1 --kinds model`, case 347 ("config.json broken": a `model_type` of terminal escape
    /// codes) and the same codes in a tensor name: `import` printed the architecture raw and
    /// `diff`'s summary line printed the module names raw (and import's stderr note the names of
    /// folder entries it leaves out), so a downloaded model could recolour,
    /// retitle or clear the user's terminal. Both now show `\u{1b}` as inspect does.
    @Test func importAndDiffPrintEscapeCodesFromAModelFolderEscaped() throws {
        let dir = try TemporaryDirectory()
        try InputTest.python("""
            import json, os, sys
            import numpy as np
            from safetensors.numpy import save_file
            for name, value in (("a", 1), ("b", 0)):
                folder = os.path.join(sys.argv[1], name)
                os.makedirs(os.path.join(folder, "sub\\x1b[31m"))  # not attached: import names it in a note
                open(os.path.join(folder, "\\x1b]0;owned\\x07.json"), "w").write("{}")  # attached: import lists it
                save_file({"evil\\x1b]0;owned\\x07.weight": np.full((2, 2), value, "<f4")}, os.path.join(folder, "model.safetensors"))
                json.dump({"model_type": "\\x1b[31mred\\x1b[2J"}, open(os.path.join(folder, "config.json"), "w"))
            """, [dir.path])
        let imported = try InputTest.adaptool(["import", dir.file("a"), "-o", dir.file("a.h5")])
        #expect(imported.status == 0 && !imported.crashed, "\(imported.stderr)")
        let diff = try InputTest.adaptool(["diff", dir.file("a"), dir.file("b")])
        #expect(diff.status == 1 && !diff.crashed, "\(diff.stderr)")
        for (command, result) in [("import", imported), ("diff", diff)] {
            #expect(!result.stdout.unicodeScalars.contains { $0.value == 0x1b || $0.value == 0x07 }, "\(command) printed raw escape codes")
        }
        #expect(!imported.stderr.unicodeScalars.contains { $0.value == 0x1b }, "import's note printed raw escape codes")
        #expect(imported.stderr.contains("sub\\u{1b}[31m"), "\(imported.stderr)")
        #expect(imported.stdout.contains("\\u{1b}]0;owned\\u{7}.json"), "\(imported.stdout)")
        #expect(imported.stdout.contains("architecture \\u{1b}[31mred\\u{1b}[2J"), "\(imported.stdout)")
        #expect(diff.stdout.contains("modules: evil\\u{1b}]0;owned\\u{7}"), "\(diff.stdout.suffix(200))")
    }

    // MARK: A /files lookup that fails is an error, not "no attached files"

    /// `fuzz.py --seed 3 --kinds v2h5`, case 4610 ("checkpoint lora: flip x8"; the byte that
    /// matters is the high byte of the root symbol-table node's first name offset): HDF5 could not
    /// look `/files` up, adaptool took that for "no /files", `inspect --verify` passed and `export`
    /// wrote a model folder without its config.json. Now the failed lookup is the error.
    @Test func aDamagedRootGroupIsAnErrorNotACheckpointWithoutFiles() throws {
        let dir = try TemporaryDirectory()
        let bad = dir.file("bad.h5")
        try InputTest.python("""
            import sys
            sys.path.insert(0, sys.argv[1])
            import numpy as np
            from write_v2 import write_checkpoint
            write_checkpoint(sys.argv[2], [("w", "float32", np.ones((2, 2), np.float32))], architecture="llama",
                             files={"config.json": b'{"model_type": "llama"}'})
            data = bytearray(open(sys.argv[2], "rb").read())
            root = data.find(b"SNOD\\x01\\x00\\x02\\x00")  # the root group's node: 2 links, files and tensors
            assert root > 0 and data.count(b"SNOD\\x01\\x00\\x02\\x00") == 1
            data[root + 12] = 219  # the first link's name offset now points far outside the heap
            open(sys.argv[2], "wb").write(bytes(data))
            """, [PackagePaths.fixtures + "/v2", bad])
        for arguments in [["inspect", "--verify", bad], ["export", bad, "-o", dir.file("out")]] {
            let result = try InputTest.adaptool(arguments)
            InputTest.expectOneErrorLine(result, naming: bad, containing: "looking up /files")
            #expect(try dir.contents() == ["bad.h5"])
        }
    }
}
