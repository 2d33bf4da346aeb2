import AdapterCore
import AdapterTestSupport
import Foundation
import Testing
@testable import AdapterInterop

/// A tiny sharded transformer-shaped model (BF16, F32, F16, F64, I64 over three shards), written by
/// numpy and the `safetensors` package, read back through ``TensorReader``; and every way a
/// `model.safetensors.index.json` can disagree with its shards, each refused in one line.
@Suite struct ShardedSafetensorsTests {
    /// The generated model folder and what numpy says it holds.
    struct Model {
        let dir: TemporaryDirectory
        /// name → {dtype, shape, hex (raw bytes), f64 (float64 view as little-endian hex, absent for ints)}.
        let tensors: [String: [String: Any]]
        /// Tensor names in stored order (shards by name, each by offset).
        let order: [String]
        /// name → shard file.
        let weightMap: [String: String]
        var indexPath: String { dir.file("model.safetensors.index.json") }
    }

    static func makeModel() throws -> Model {
        let dir = try TemporaryDirectory()
        let result = try ExternalProcess.python(["-c", generator, dir.path])
        try #require(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        return Model(dir: dir, tensors: try #require(json["tensors"] as? [String: [String: Any]]),
                     order: try #require(json["order"] as? [String]), weightMap: try #require(json["weight_map"] as? [String: String]))
    }

    @Test func readsEveryTensorLikeNumpyWroteIt() throws {
        let model = try Self.makeModel()
        let reader = try ShardedSafetensors(indexPath: model.indexPath)
        #expect(reader.shards.count == 3)
        #expect(reader.tensors.map(\.name) == model.order)
        #expect(model.tensors.count == 32)
        for (name, expected) in model.tensors {
            let info = try #require(reader.info(named: name), "\(name)")
            #expect(info.dtype.safetensorsName == expected["dtype"] as? String, "\(name)")
            #expect(info.shape == expected["shape"] as? [Int], "\(name)")
            let hex = try reader.rawBytes(of: name).map { String(format: "%02x", $0) }.joined()
            #expect(hex == expected["hex"] as? String, "\(name)")
            #expect(info.byteCount == hex.count / 2)
            if let values = expected["f64"] as? String {
                // Compared bit for bit: numpy's float64 view, as little-endian hex.
                let ours = try reader.float64Values(of: name).flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian) { Array($0) } }
                #expect(ours.map { String(format: "%02x", $0) }.joined() == values, "\(name)")
            } else {
                #expect(throws: InteropError.unsupportedDType(path: model.dir.file(model.weightMap[name] ?? ""), tensor: name, dtype: "I64")) {
                    try reader.float64Values(of: name)
                }
            }
        }
        #expect(reader.info(named: "nope") == nil)
        #expect(throws: InteropError.missingTensor(path: model.indexPath, tensor: "nope", expected: "it in the weight_map")) { try reader.rawBytes(of: "nope") }
    }

    /// A broken index (the weight_map edited as `problem` says) and a fragment the error must contain.
    @Test(arguments: [
        ("missing shard", "shard \"model-00004-of-00003.safetensors\" does not exist"),
        ("parent shard name", "names shard \"../model-00001-of-00003.safetensors\"; expected a plain file name"),
        ("folder as shard", "shard \"folder.safetensors\" is not a regular file"),
        ("mapped but absent", "puts tensor \"model.layers.9.mlp.up_proj.weight\" in \"model-00001-of-00003.safetensors\" but that shard does not hold it"),
        ("in shard but unmapped", "holds tensor \"model.norm.weight\" but the weight_map does not list it"),
        ("in two shards", "tensor \"model.layers.0.self_attn.q_proj.weight\" is in both"),
        ("duplicate key", "duplicate key"),
        ("no weight_map", "no \"weight_map\" object"),
    ])
    func refusesIndexesThatDisagreeWithTheShards(problem: String, fragment: String) throws {
        let model = try Self.makeModel()
        var map = model.weightMap
        var text: String?
        switch problem {
        case "missing shard": map["model.norm.weight"] = "model-00004-of-00003.safetensors"
        case "parent shard name": map["model.norm.weight"] = "../model-00001-of-00003.safetensors"
        case "folder as shard":
            try FileManager.default.createDirectory(atPath: model.dir.file("folder.safetensors"), withIntermediateDirectories: false)
            map["extra"] = "folder.safetensors"
        case "mapped but absent": map["model.layers.9.mlp.up_proj.weight"] = "model-00001-of-00003.safetensors"
        case "in shard but unmapped": map["model.norm.weight"] = nil
        case "in two shards": map["dup.only"] = "dup.safetensors"
        case "duplicate key": text = #"{"weight_map": {"a": "model-00001-of-00003.safetensors", "a": "model-00002-of-00003.safetensors"}}"#
        default: text = #"{"metadata": {}}"#
        }
        let data = try text.map { Data($0.utf8) } ?? JSONSerialization.data(withJSONObject: ["weight_map": map], options: [.sortedKeys])
        try data.write(to: URL(fileURLWithPath: model.indexPath))
        do {
            _ = try ShardedSafetensors(indexPath: model.indexPath)
            Issue.record("\(problem): accepted")
        } catch {
            let message = error.description
            #expect(message.hasPrefix(model.indexPath + ": not a valid safetensors index: "), "\(message)")
            #expect(message.contains(fragment), "\(message) lacks \(fragment)")
            #expect(!message.contains("\n"))
        }
    }

    @Test func detectsModelFolders() throws {
        let model = try Self.makeModel()
        let folder = try #require(ModelFolder.detect(model.dir.path))
        #expect(folder.weights == .sharded(indexPath: model.indexPath))
        #expect(try folder.reader().tensors.count == 32)

        let single = try TemporaryDirectory()
        #expect(ModelFolder.detect(single.path) == nil)
        try FileManager.default.copyItem(atPath: model.dir.file("model-00003-of-00003.safetensors"), toPath: single.file("model.safetensors"))
        #expect(ModelFolder.detect(single.path) == nil, "no config.json")
        try Data("{}".utf8).write(to: URL(fileURLWithPath: single.file("config.json")))
        let detected = try #require(ModelFolder.detect(single.path))
        #expect(detected.weights == .single(path: single.file("model.safetensors")))
        let reader = try detected.reader()
        #expect(Set(reader.tensors.map(\.name)) == ["model.norm.weight", "model.embed_tokens.weight", "lm_head.weight", "model.position_ids"])
        #expect(ModelFolder.detect(single.file("config.json")) == nil, "a file is not a folder")
    }

    @Test func tensorInfoChecksOverflowAndDTypesMapToSafetensorsNames() {
        #expect(TensorInfo(name: "t", dtype: .bfloat16, shape: [3, 4])?.byteCount == 24)
        #expect(TensorInfo(name: "s", dtype: .float64, shape: [])?.elementCount == 1)
        #expect(TensorInfo(name: "t", dtype: .float32, shape: [Int.max / 2, 3]) == nil)
        #expect(TensorInfo(name: "t", dtype: .int64, shape: [Int.max / 4]) == nil)
        #expect(TensorInfo(name: "t", dtype: .int8, shape: [-1]) == nil)
        for dtype in TensorDType.allCases {
            #expect(TensorDType(safetensorsName: dtype.safetensorsName) == dtype)
            let known = SafetensorsDType(rawValue: dtype.safetensorsName)
            #expect(known.map { $0.bitsPerElement == dtype.byteWidth * 8 } == true, "\(dtype)")
        }
        #expect(TensorDType(safetensorsName: "F8_E4M3") == nil)
        #expect(TensorDType.int32.float64Values(fromLittleEndian: [0, 0, 0, 0], count: 1) == nil)
    }

    /// Writes the model into the folder given as the argument and prints what it holds as JSON.
    static let generator = #"""
import json, struct, sys, os
import numpy as np
from safetensors.numpy import save_file
out = sys.argv[1]
rng = np.random.default_rng(9)
def bf16(values):
    return (np.asarray(values, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)
def write(path, tensors):
    # tensors: list of (name, safetensors dtype, shape, raw bytes), stored in this order.
    header, offset = {}, 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(t[3] for t in tensors))
manifest, weight_map = {}, {}
def note(shard, name, dtype, array, f64):
    weight_map[name] = shard
    manifest[name] = {"dtype": dtype, "shape": list(array.shape), "hex": array.tobytes().hex(),
                      "f64": None if f64 is None else f64.astype("<f8").tobytes().hex()}
for shard_number, layers in ((1, (0, 1)), (2, (2, 3))):
    shard = "model-%05d-of-00003.safetensors" % shard_number
    tensors = []
    for layer in layers:
        prefix = "model.layers.%d." % layer
        for part, shape in (("self_attn.q_proj", (8, 8)), ("self_attn.k_proj", (4, 8)), ("self_attn.v_proj", (4, 8)),
                            ("self_attn.o_proj", (8, 8)), ("mlp.gate_proj", (16, 8)), ("mlp.down_proj", (8, 16))):
            bits = bf16(rng.standard_normal(shape).astype(np.float32))
            name = prefix + part + ".weight"
            tensors.append((name, "BF16", shape, bits.tobytes()))
            note(shard, name, "BF16", bits, (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64))
        norm = rng.standard_normal(8).astype(np.float32)
        tensors.append((prefix + "input_layernorm.weight", "F32", (8,), norm.tobytes()))
        note(shard, prefix + "input_layernorm.weight", "F32", norm, norm.astype(np.float64))
    tensors.reverse()  # stored order differs from name order
    write(os.path.join(out, shard), tensors)
shard = "model-00003-of-00003.safetensors"
last = {"model.norm.weight": rng.standard_normal(8).astype(np.float32),
        "model.embed_tokens.weight": rng.standard_normal((32, 8)).astype(np.float16),
        "lm_head.weight": rng.standard_normal((32, 8)).astype(np.float64),
        "model.position_ids": np.arange(16, dtype=np.int64).reshape(1, 16) - 3}
save_file(last, os.path.join(out, shard))
names = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16", np.dtype(np.float64): "F64", np.dtype(np.int64): "I64"}
for name, array in last.items():
    note(shard, name, names[array.dtype], array, None if array.dtype == np.int64 else array.astype(np.float64))
with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": 0}, "weight_map": weight_map}, f)
with open(os.path.join(out, "config.json"), "w") as f:
    json.dump({"model_type": "tiny"}, f)
# A shard that repeats a tensor of shard 1, for the "in two shards" check.
dup = bf16(np.ones((8, 8), dtype=np.float32))
write(os.path.join(out, "dup.safetensors"), [("model.layers.0.self_attn.q_proj.weight", "BF16", (8, 8), dup.tobytes()),
                                             ("dup.only", "BF16", (8, 8), dup.tobytes())])
# Stored order, from the headers: shards in name order, each in offset order.
order = []
for shard in sorted(set(weight_map.values())):
    with open(os.path.join(out, shard), "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
    header.pop("__metadata__", None)
    order += sorted(header, key=lambda k: header[k]["data_offsets"][0])
print(json.dumps({"tensors": manifest, "order": order, "weight_map": weight_map}))
"""#
}
