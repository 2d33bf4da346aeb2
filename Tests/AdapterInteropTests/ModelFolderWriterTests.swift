import AdapterCore
import AdapterInterop
import AdapterTestSupport
import Foundation
import Testing

/// ModelFolderWriter: shards, index and copied files as laid out, read back by adaptool's own
/// reader; nothing left behind when a write is incomplete or refused.
@Suite struct ModelFolderWriterTests {
    private func tensor(_ name: String, _ dtype: TensorDType, _ shape: [Int]) throws -> (info: TensorInfo, bytes: [UInt8]) {
        let info = try #require(TensorInfo(name: name, dtype: dtype, shape: shape))
        return (info, (0..<info.byteCount).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ name.utf8.count) })
    }

    @Test func writesShardsIndexAndFilesThatReadBack() throws {
        let dir = try TemporaryDirectory()
        let tensors = [try tensor("z.weight", .bfloat16, [3, 2]), try tensor("a.bias", .float32, [3]),
                       try tensor("ids", .int64, [4]), try tensor("scale", .float16, [])]
        let layout = ModelFolderLayout(shards: [
            .init(fileName: "model-00001-of-00002.safetensors", metadata: ["format": "pt"], tensors: tensors[0..<2].map(\.info)),
            .init(fileName: "model-00002-of-00002.safetensors", metadata: ["format": "pt"], tensors: tensors[2...].map(\.info)),
        ], files: [.init(name: "config.json", contents: .bytes(Array("{\"model_type\": \"x\"}\n".utf8)))])
        let writer = try ModelFolderWriter(path: dir.file("out"), layout: layout)
        for (info, bytes) in tensors.reversed() { try bytes.withUnsafeBytes { try writer.write(info, bytes: $0, digest: nil) } }
        try writer.finish()
        #expect(try dir.contents() == ["out"])
        let folder = try #require(ModelFolder.detect(dir.file("out")))
        let reader = try folder.reader()
        #expect(reader.tensors == tensors.map(\.info), "shard order, then data order within each shard")
        for (info, bytes) in tensors { #expect(try reader.rawBytes(of: info.name) == bytes) }
        #expect(FileManager.default.contents(atPath: dir.file("out/config.json")) == Data("{\"model_type\": \"x\"}\n".utf8))
        let index = try String(contentsOfFile: dir.file("out/model.safetensors.index.json"), encoding: .utf8)
        #expect(index.contains("\"total_size\": \(tensors.reduce(0) { $0 + $1.info.byteCount })"))
        #expect(try folder.layout() == ModelFolderLayout(shards: layout.shards,
                                                           files: [.init(name: "config.json", contents: .file(path: dir.file("out/config.json")))],
                                                           writesIndex: true))
    }

    @Test func anUnfinishedOrRefusedFolderLeavesNothing() throws {
        let dir = try TemporaryDirectory()
        let (info, bytes) = try tensor("w", .float32, [2])
        let layout = ModelFolderLayout(shards: [.init(fileName: ModelFolderLayout.singleFileName, tensors: [info, try tensor("v", .float32, [1]).info])])
        do {
            let writer = try ModelFolderWriter(path: dir.file("out"), layout: layout)
            try bytes.withUnsafeBytes { try writer.write(info, bytes: $0, digest: nil) }
            #expect(throws: InteropError.self) { try Array(repeating: UInt8(0), count: 3).withUnsafeBytes { try writer.write(info, bytes: $0, digest: nil) } }
            #expect { try writer.finish() } throws: { "\($0)".contains("tensor \"v\" is missing") }
        }
        #expect(try dir.contents() == [], "the temporary folder is removed with the writer")
        let twice = ModelFolderLayout(shards: [.init(fileName: "config.json", tensors: [info])],
                                      files: [.init(name: "config.json", contents: .bytes([]))])
        #expect { try ModelFolderWriter(path: dir.file("out"), layout: twice) } throws: { "\($0)".contains("two files named \"config.json\"") }
        let empty = try ModelFolderWriter(path: dir.file("empty"), layout: ModelFolderLayout(shards: [.init(fileName: ModelFolderLayout.singleFileName, tensors: [])]))
        try empty.finish()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.file("empty")) == [ModelFolderLayout.singleFileName])
    }
}
