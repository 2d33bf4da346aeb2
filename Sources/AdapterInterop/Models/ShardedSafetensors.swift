import AdapterCore
import Foundation

/// A model split over several safetensors files (`model-00001-of-00003.safetensors`, …) listed by
/// `model.safetensors.index.json`, whose `weight_map` names each tensor's shard. Every shard's
/// header is read and checked against the map on open; tensor bytes are read only on request.
public final class ShardedSafetensors {
    /// The index file's path.
    public let indexPath: String
    /// The shards, in file-name order.
    public let shards: [SafetensorsFile]
    /// Every tensor: shards in file-name order, each in buffer order.
    public let tensors: [TensorInfo]
    private let shardByTensor: [String: Int]

    /// The largest index read: transformers writes about 100 bytes per tensor (a few MiB for the
    /// largest models); a bigger file is not an index and must not be read whole into memory.
    public static let maximumIndexBytes = 64 << 20

    /// Opens `indexPath` and every shard it lists (in the index's folder), and checks that the
    /// weight map and the shards agree exactly: each shard name is a plain file name, each shard
    /// exists and is a regular file, each mapped tensor is in its shard, no tensor is in two
    /// shards, and no shard holds a tensor the map does not list.
    public init(indexPath: String) throws(InteropError) {
        self.indexPath = indexPath
        func bad(_ problem: String) -> InteropError { .badIndex(path: indexPath, problem: problem) }
        // Through InputFile, as config.json: a FIFO, a device or a huge file is one clear line
        // (Foundation's reader said "You don't have permission" for a FIFO or /dev/zero).
        let data = try InteropError.wrapping { () throws(InputFileError) in
            try InputFile.contents(of: indexPath, expected: "a JSON index", limit: Self.maximumIndexBytes)
        }
        let document: JSONValue
        do { document = try JSONValue.parse(data) } catch { throw bad("not valid JSON (\(error))") }
        guard case .object(let members) = document else { throw bad("not a JSON object") }
        guard case .object(let entries) = members.first(where: { $0.key == "weight_map" })?.value ?? .null else {
            throw bad("no \"weight_map\" object (tensor name → shard file)")
        }
        var shardOfTensor: [String: String] = [:]
        for (tensor, value) in entries {
            guard case .string(let shard) = value else { throw bad("weight_map[\"\(tensor)\"] is \(value.typeName); expected a shard file name") }
            guard !shard.isEmpty, !shard.contains("/"), shard != ".", shard != ".." else {
                throw bad("weight_map[\"\(tensor)\"] names shard \"\(shard)\"; expected a plain file name in the index's folder")
            }
            shardOfTensor[tensor] = shard
        }
        guard !shardOfTensor.isEmpty else { throw bad("the weight_map is empty") }
        let folder = (indexPath as NSString).deletingLastPathComponent
        let shardNames = Set(shardOfTensor.values).sorted()
        let shardPaths = try shardNames.map { (shardName) throws(InteropError) -> String in
            let shardPath = folder.isEmpty ? shardName : folder + "/" + shardName
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: shardPath, isDirectory: &isDirectory) else { throw bad("shard \"\(shardName)\" does not exist") }
            guard !isDirectory.boolValue, (try? FileManager.default.attributesOfItem(atPath: shardPath)[.type] as? FileAttributeType) == .typeRegular else {
                throw bad("shard \"\(shardName)\" is not a regular file")
            }
            return shardPath
        }
        var shards: [SafetensorsFile] = []
        var shardByTensor: [String: Int] = [:]
        for shardPath in shardPaths {
            let shard = try SafetensorsFile(path: shardPath)
            for name in shard.tensorNames {
                if let other = shardByTensor[name] {
                    throw bad("tensor \"\(name)\" is in both \"\(shardNames[other])\" and \"\(shardNames[shards.count])\"")
                }
                shardByTensor[name] = shards.count
            }
            shards.append(shard)
        }
        for (shard, shardName) in zip(shards, shardNames) {
            for name in shard.tensorNames where shardOfTensor[name] != shardName {
                throw bad("shard \"\(shardName)\" holds tensor \"\(name)\" but the weight_map \(shardOfTensor[name].map { "puts it in \"\($0)\"" } ?? "does not list it")")
            }
        }
        for (tensor, _) in entries where shardByTensor[tensor] == nil {
            throw bad("weight_map puts tensor \"\(tensor)\" in \"\(shardOfTensor[tensor] ?? "")\" but that shard does not hold it")
        }
        self.shards = shards
        self.shardByTensor = shardByTensor
        tensors = shards.flatMap(\.tensors)
    }
}

extension ShardedSafetensors: RangedTensorReader {
    /// The tensor called `name`, if present.
    public func info(named name: String) -> TensorInfo? { shardByTensor[name].flatMap { shards[$0].info(named: name) } }

    /// The tensor's bytes exactly as stored in its shard.
    public func rawBytes(of name: String) throws(InteropError) -> [UInt8] {
        try shard(holding: name).rawBytes(of: name)
    }

    /// Reads the tensor's bytes from its shard straight into `buffer` (exactly its byte count).
    public func readRawBytes(of name: String, into buffer: UnsafeMutableRawBufferPointer) throws(InteropError) {
        try shard(holding: name).readRawBytes(of: name, into: buffer)
    }

    /// Reads the tensor's bytes from byte `offset` of its shard into `buffer` (thread-safe).
    public func readRawBytes(of name: String, from offset: Int, into buffer: UnsafeMutableRawBufferPointer) throws(InteropError) {
        try shard(holding: name).readRawBytes(of: name, from: offset, into: buffer)
    }

    /// The tensor's values widened to float64 (exact).
    public func float64Values(of name: String) throws(InteropError) -> [Double] {
        try shard(holding: name).float64Values(of: name)
    }

    private func shard(holding name: String) throws(InteropError) -> SafetensorsFile {
        guard let index = shardByTensor[name] else { throw .missingTensor(path: indexPath, tensor: name, expected: "it in the weight_map") }
        return shards[index]
    }
}
