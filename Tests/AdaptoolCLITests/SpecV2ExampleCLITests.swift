import AdapterKit
import Foundation
import Testing
import AdapterTestSupport

/// spec/format.md v2 is implementable from the page alone: its Python code blocks, run as they
/// stand, write a checkpoint and an adapter that `adaptool inspect --verify` accepts, and its
/// bfloat16 recipe rounds exactly like adaptool.
@Suite struct SpecV2ExampleCLITests {
    /// The Python code blocks of the v2 part of the spec (before the v1 appendix), minus the two
    /// fragments that use an undefined `group`/`ds` for illustration.
    static func specCode() throws -> String {
        let spec = try String(contentsOfFile: PackagePaths.root + "/spec/format.md", encoding: .utf8)
        let v2 = spec.components(separatedBy: "## Appendix").first ?? ""
        let blocks = v2.components(separatedBy: "```python\n").dropFirst().compactMap { $0.components(separatedBy: "```").first }
        return blocks.filter { !$0.contains("create_dataset(link") && !$0.contains("ds[()]") }.joined(separator: "\n")
    }

    @Test func theSpecsPythonWritesFilesAdaptoolVerifies() throws {
        let dir = try TemporaryDirectory()
        let script = "import os, sys\nos.chdir(sys.argv[1])\n" + (try Self.specCode())
        let result = try ExternalProcess.python(["-c", script, dir.path])
        try #require(result.status == 0, "the spec's Python failed: \(result.stderr)")
        let base = try ExternalProcess.adaptool(["inspect", "--verify", dir.file("base.h5")])
        #expect(base.status == 0 && base.stdout.contains("all 4 tensors match their sha256"), "\(base.stderr)")
        let adapter = try ExternalProcess.adaptool(["inspect", "--verify", "--base", dir.file("base.h5"), dir.file("lora.h5")])
        #expect(adapter.status == 0 && adapter.stdout.contains("(matches --base)"), "\(adapter.stderr)")
    }

    @Test func theSpecsBfloat16RecipeRoundsLikeAdaptool() throws {
        let patterns: [UInt32] = [0x3F80_0000, 0x3F80_8000, 0x3F81_8000, 0x3F80_8001, 0x7F7F_FFFF, 0x7F80_0000, 0xFF80_0000,
                                  0x7FC0_0001, 0x7F80_0001, 0x0000_8000, 0x8001_7FFF, 0xC049_0FDB]
        let script = try Self.specCode().components(separatedBy: "tensors = [").first! + """

            import sys, json
            values = np.array([int(x) for x in sys.argv[1].split(",")], dtype="<u4").view("<f4")
            print(json.dumps([int(b) for b in bfloat16_bits(values)]))
            """
        let result = try ExternalProcess.python(["-c", script, patterns.map(String.init).joined(separator: ",")])
        try #require(result.status == 0, "\(result.stderr)")
        let python = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [Int])
        #expect(python == patterns.map { Int(HalfPrecision.bfloat16(from: Float(bitPattern: $0))) })
    }
}
