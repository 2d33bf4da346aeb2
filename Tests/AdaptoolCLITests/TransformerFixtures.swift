import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// The tiny Llama / GPT-2 model folders, their PEFT adapters and the float64 expected merges that
/// Fixtures/transformers/generate.py writes with numpy (an independent implementation), and the
/// checks every merged model folder must pass against them.
enum TransformerFixtures {
    /// Fixtures/transformers.
    static let root = PackagePaths.fixtures + "/transformers"

    /// One adapter of expected.json.
    struct Adapter: Decodable {
        /// The model folder it adapts.
        var base: String
        /// The expected merge (F64 tensors), relative to ``root``.
        var expected: String
        /// `lora` or `dora`.
        var method: String
    }

    /// expected.json (only what the tests use).
    struct Expectations: Decodable {
        /// Valid adapters by folder name.
        var adapters: [String: Adapter]
        /// Invalid adapters by folder name, each with the module the error must name.
        var invalid: [String: [String: String]]
    }

    /// The decoded expected.json.
    static func expectations() throws -> Expectations {
        try JSONDecoder().decode(Expectations.self, from: Data(contentsOf: URL(fileURLWithPath: root + "/expected.json")))
    }

    /// Most float32 merged values may differ from the float64 merge, relatively (the bar
    /// against PEFT's own float32 merge).
    static let float32Tolerance = 1e-5
    /// Half-precision results may be 1 ulp off the float64 merge rounded once on at most this
    /// fraction of elements (the bar; ours are expected to match exactly).
    static let halfMismatchFraction = 0.001

    /// Every tensor of the model folder at `path`: info and stored bytes, by name, in stored order.
    static func tensors(ofFolder path: String) throws -> [(info: TensorInfo, bytes: [UInt8])] {
        let folder = try #require(ModelFolder.detect(path), "\(path) is not a model folder")
        let reader = try folder.reader()
        return try reader.tensors.map { ($0, try reader.rawBytes(of: $0.name)) }
    }

    /// Checks the merged folder `output` against adapter `name`'s expected merge (see
    /// ``expectFolder(_:like:merged:sourceLocation:)``).
    static func expectMerged(_ output: String, adapter name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let adapter = try #require(try expectations().adapters[name])
        try expectFolder(output, like: root + "/" + adapter.base, merged: try SafetensorsFile(path: root + "/" + adapter.expected), sourceLocation: sourceLocation)
    }

    /// Checks the model folder `output` against the fixture folder `basePath`: the same files
    /// (non-weight files byte for byte, same shard names and index map), the same tensors in the
    /// same order; the tensors `merged` holds (float64 expected values) within ``float32Tolerance``
    /// for float32 and equal to the expected value rounded once (within ``halfMismatchFraction``)
    /// for half precision; every other tensor byte-identical.
    static func expectFolder(_ output: String, like basePath: String, merged expected: SafetensorsFile?,
                             sourceLocation: SourceLocation = #_sourceLocation) throws {
        let files = FileManager.default
        #expect(try files.contentsOfDirectory(atPath: output).sorted() == files.contentsOfDirectory(atPath: basePath).sorted(), sourceLocation: sourceLocation)
        for file in try files.contentsOfDirectory(atPath: basePath) where !file.hasSuffix(".safetensors") && !file.hasSuffix(".index.json") {
            #expect(files.contents(atPath: output + "/" + file) == files.contents(atPath: basePath + "/" + file), "\(file) must be copied byte for byte", sourceLocation: sourceLocation)
        }
        if let index = try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: basePath + "/model.safetensors.index.json"))) as? [String: Any] {
            let written = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/model.safetensors.index.json"))) as? [String: Any]
            #expect((written?["weight_map"] as? [String: String]) == (index["weight_map"] as? [String: String]), sourceLocation: sourceLocation)
        }
        let base = try tensors(ofFolder: basePath)
        let merged = try tensors(ofFolder: output)
        #expect(merged.map(\.info) == base.map(\.info), "names, dtypes, shapes and order must be the base's", sourceLocation: sourceLocation)
        var changed = 0
        for ((info, bytes), (_, baseBytes)) in zip(merged, base) {
            guard let expected, expected.info(named: info.name) != nil else {
                #expect(bytes == baseBytes, "\(info.name) is not targeted: must be byte-identical", sourceLocation: sourceLocation)
                continue
            }
            changed += 1
            let want = try expected.float64Values(of: info.name)
            let got = try #require(info.dtype.float64Values(fromLittleEndian: bytes, count: info.elementCount))
            if info.dtype == .float32 {
                let worst = zip(got, want).map { abs($0 - $1) / max(abs($1), Double.leastNormalMagnitude) }.max() ?? 0
                #expect(worst <= float32Tolerance, "\(info.name): relative error \(worst)", sourceLocation: sourceLocation)
            } else {
                var rounded = [UInt8](repeating: 0, count: info.byteCount)
                rounded.withUnsafeMutableBytes { raw in want.withUnsafeBufferPointer { info.dtype.narrow($0, into: raw) } }
                let distances = stride(from: 0, to: bytes.count, by: 2).map { (offset: Int) -> Int in
                    let gotBits = Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
                    let wantBits = Int(rounded[offset]) | Int(rounded[offset + 1]) << 8
                    return abs(gotBits - wantBits)
                }
                let mismatches = distances.filter { $0 != 0 }.count
                #expect(distances.allSatisfy { $0 <= 1 }, "\(info.name): more than 1 ulp from the float64 merge rounded once", sourceLocation: sourceLocation)
                #expect(Double(mismatches) <= halfMismatchFraction * Double(info.elementCount), "\(info.name): \(mismatches) of \(info.elementCount) differ from the float64 merge rounded once", sourceLocation: sourceLocation)
            }
            #expect(bytes != baseBytes, "\(info.name) is targeted: must change", sourceLocation: sourceLocation)
        }
        #expect(changed == (expected?.tensors.count ?? 0), "every expected tensor is in the output", sourceLocation: sourceLocation)
    }
}
