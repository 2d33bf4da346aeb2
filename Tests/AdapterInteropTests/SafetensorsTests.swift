import AdapterCore
import AdapterTestSupport
import Foundation
import Testing
@testable import AdapterInterop

/// The reader's validation (malformed fixtures refused like the reference implementation does) and
/// the writer checked by the Python `safetensors` package.
@Suite struct SafetensorsTests {
    @Test(arguments: [
        "bad_header_length", "huge_header_length", "overlapping_offsets", "out_of_range_offsets", "wrong_byte_count",
        "duplicate_names", "unknown_dtype", "gap_in_offsets", "trailing_bytes", "not_json", "too_short",
    ])
    func refusesMalformedFiles(name: String) throws {
        let file = "\(name).safetensors"
        let fragment = try #require((try InteropFixtures.expected()["malformed"] as? [String: String])?[file])
        let path = InteropFixtures.path("malformed/" + file)
        do {
            _ = try SafetensorsFile(path: path)
            Issue.record("\(file) was accepted")
        } catch {
            let message = String(describing: error)
            #expect(message.hasPrefix(path + ": not a valid safetensors file: "), "\(message)")
            #expect(message.contains(fragment), "\(message) lacks \(fragment)")
            #expect(!message.contains("\n"))
        }
    }

    @Test func refusesUnsupportedDTypesByName() throws {
        let path = InteropFixtures.path("malformed/int64_weight.safetensors")
        let file = try SafetensorsFile(path: path)
        #expect(throws: InteropError.unsupportedDType(path: path, tensor: "layers.0.weight", dtype: "I64")) { try file.floats("layers.0.weight") }
        #expect(throws: InteropError.unsupportedDType(path: path, tensor: "layers.0.weight", dtype: "I64")) {
            try StateDictConversion.checkpoint(from: file)
        }
    }

    @Test func widensF64AndF16LikeNumpy() throws {
        let mixed = try StateDictConversion.checkpoint(from: SafetensorsFile(path: InteropFixtures.path("mixed_dtypes.safetensors")))
        let f32 = try SafetensorsFile(path: InteropFixtures.path("base_state_dict.safetensors"))
        // Compare with numpy's own float16 rounding of the float32 weights, read back through the F32 file.
        let script = """
        import numpy as np, sys
        from safetensors.numpy import load_file
        t = load_file(sys.argv[1])
        for k in sorted(t): print(k, ' '.join(repr(float(v)) for v in t[k].astype(np.float32).ravel()))
        """
        let result = try ExternalProcess.python(["-c", script, InteropFixtures.path("mixed_dtypes.safetensors")])
        #expect(result.status == 0, "\(result.stderr)")
        for line in result.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let name = String(parts[0])
            let layerName = name.hasSuffix(".weight") ? String(name.dropLast(".weight".count)) : String(name.dropLast(".bias".count))
            let layer = try #require(mixed.layer(named: layerName))
            let ours = name.hasSuffix(".weight") ? layer.weight.values : layer.bias
            #expect(ours == parts.dropFirst().map { Double($0).map(Float.init) ?? .nan }, "\(name)")
        }
        #expect(try f32.floats("layers.0.weight").count == 16 * 12)
    }

    @Test func writesFilesThePythonPackageReads() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("out.safetensors")
        let values: [Float] = [1, -2.5, 0.1, 65504, 1e-7, -0.0]
        try SafetensorsWriter.write([("z.weight", [2, 3], values), ("a.bias", [2], [3, 4]), ("m", [], [7])],
                                    metadata: ["format": "pt", "note": "quote \" and é"], to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
        #expect(headerLength % 8 == 0)
        let header = String(decoding: bytes[8..<(8 + Int(headerLength))], as: UTF8.self)
        #expect(header.range(of: "\"a.bias\"")!.lowerBound < header.range(of: "\"m\"")!.lowerBound)
        let script = """
        import sys, json
        from safetensors import safe_open
        with safe_open(sys.argv[1], framework="numpy") as f:
            print(json.dumps({"meta": f.metadata(), "t": {k: [list(f.get_tensor(k).shape), [float(x) for x in f.get_tensor(k).ravel()], str(f.get_tensor(k).dtype)] for k in f.keys()}}, sort_keys=True))
        """
        let result = try ExternalProcess.python(["-c", script, path])
        #expect(result.status == 0, "\(result.stderr)")
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        #expect((parsed?["meta"] as? [String: String]) == ["format": "pt", "note": "quote \" and é"])
        let tensors = parsed?["t"] as? [String: [Any]]
        #expect((tensors?["z.weight"]?[0] as? [Int]) == [2, 3])
        #expect((tensors?["z.weight"]?[1] as? [Double])?.map(Float.init) == values)
        #expect((tensors?["m"]?[0] as? [Int]) == [])
        #expect((tensors?["a.bias"]?[2] as? String) == "float32")
    }

    @Test func writesHalfAndBFloat16ThatReadBack() throws {
        let dir = try TemporaryDirectory()
        let values: [Float] = [1, 0.5, -2, 0.099975586]
        for dtype in [SafetensorsDType.f16, .bf16] {
            let path = dir.file("\(dtype.rawValue).safetensors")
            try SafetensorsWriter.write([("t", [4], values)], dtype: dtype, to: path)
            let file = try SafetensorsFile(path: path)
            #expect(file.info("t")?.dtype == dtype)
            let back = try file.floats("t")
            #expect(zip(back, values).allSatisfy { abs($0 - $1) <= abs($1) * (dtype == .f16 ? 1e-3 : 8e-3) })
        }
    }

    @Test func neverOverwritesWithoutForce() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("x.safetensors")
        try SafetensorsWriter.write([("t", [1], [1])], to: path)
        #expect(throws: InteropError.format(.outputExists(path: path))) { try SafetensorsWriter.write([("t", [1], [2])], to: path) }
        try SafetensorsWriter.write([("t", [1], [2])], to: path, options: WriteOptions(overwrite: true))
        #expect(try SafetensorsFile(path: path).floats("t") == [2])
        #expect(try dir.contents() == ["x.safetensors"])
    }

    @Test func jsonParserRefusesDuplicatesAndDecodesEscapes() throws {
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array(#"{"a":1,"a":2}"#.utf8)) }
        let value = try JSONValue.parse(Array(#"{"s":"\u00e9\ud83d\ude00\n","n":[-1.5e2,0,true,null]}"#.utf8))
        #expect(value["s"] == .string("é😀\n"))
        #expect(value["n"] == .array([.number(-150), .number(0), .bool(true), .null]))
        #expect(JSONValue.object([("k", .string("a\"b"))]).serialized == #"{"k":"a\"b"}"#)
        #expect(throws: JSONParseError.self) { try JSONValue.parse(Array("[01]".utf8)) }
    }
}
