import AdapterCore
import Foundation

/// What a model folder to be written holds: its safetensors shards (file name, header metadata and
/// tensors in data order), whether a `model.safetensors.index.json` lists them, and the other files
/// (config.json, tokenizer files, …) copied in byte for byte. ``ModelFolderWriter`` writes it.
public struct ModelFolderLayout: Sendable, Equatable {
    /// One safetensors file of the folder.
    public struct Shard: Sendable, Equatable {
        /// Its file name in the folder (`model.safetensors`, `model-00001-of-00003.safetensors`).
        public var fileName: String
        /// Its header's `__metadata__` (transformers writes `{"format": "pt"}`).
        public var metadata: [String: String]
        /// Its tensors, in data order.
        public var tensors: [TensorInfo]

        /// Declares a shard.
        public init(fileName: String, metadata: [String: String] = [:], tensors: [TensorInfo]) {
            (self.fileName, self.metadata, self.tensors) = (fileName, metadata, tensors)
        }
    }

    /// Where a copied file's bytes come from.
    public enum Contents: Sendable, Equatable {
        /// A file on disk, copied byte for byte (a symbolic link is followed, as in the Hugging
        /// Face cache, whose snapshot files link to blobs).
        case file(path: String)
        /// Bytes held in memory (e.g. restored from an HDF5 v2 checkpoint's `/files`).
        case bytes([UInt8])
    }

    /// One non-weight file of the folder.
    public struct File: Sendable, Equatable {
        /// Its file name in the folder.
        public var name: String
        /// Its contents.
        public var contents: Contents

        /// Declares a file.
        public init(name: String, contents: Contents) { (self.name, self.contents) = (name, contents) }
    }

    /// The name transformers gives the weights of an unsharded model.
    public static let singleFileName = "model.safetensors"
    /// The name of the shard index.
    public static let indexFileName = "model.safetensors.index.json"

    /// The shards, in file order.
    public var shards: [Shard]
    /// Whether `model.safetensors.index.json` is written.
    public var writesIndex: Bool
    /// The other files.
    public var files: [File]

    /// A layout; the index is written when there is more than one shard unless `writesIndex` says.
    public init(shards: [Shard], files: [File] = [], writesIndex: Bool? = nil) {
        self.shards = shards
        self.files = files
        self.writesIndex = writesIndex ?? (shards.count > 1)
    }

    /// `tensors` (in order) grouped into the shards `shardName` names, shards in order of first
    /// appearance, as an export restores the sharding an import recorded; one `model.safetensors`
    /// when any tensor has no recorded shard (a partial record cannot be trusted).
    public init(tensors: [TensorInfo], shardName: (String) -> String?, metadata: [String: String] = [:], files: [File] = []) {
        let names = tensors.map { shardName($0.name) }
        guard !tensors.isEmpty, names.allSatisfy({ $0 != nil }) else {
            self.init(shards: [Shard(fileName: Self.singleFileName, metadata: metadata, tensors: tensors)], files: files)
            return
        }
        var order: [String] = []
        var grouped: [String: [TensorInfo]] = [:]
        for (tensor, name) in zip(tensors, names.compactMap { $0 }) {
            if grouped[name] == nil { order.append(name) }
            grouped[name, default: []].append(tensor)
        }
        let shards = order.map { Shard(fileName: $0, metadata: metadata, tensors: grouped[$0] ?? []) }
        self.init(shards: shards, files: files, writesIndex: shards.count > 1 || shards.first?.fileName != Self.singleFileName)
    }

    /// Every tensor, shards in order.
    public var tensors: [TensorInfo] { shards.flatMap(\.tensors) }

    /// The bytes of the folder's tensor data (what the index calls `total_size`).
    public var totalTensorBytes: Int { shards.reduce(0) { $0 + $1.tensors.reduce(0) { $0 + $1.byteCount } } }

    /// The index document transformers writes: `{"metadata": {"total_size": N}, "weight_map":
    /// {tensor: shard}}` with the tensors sorted by name.
    public var indexDocument: JSONValue {
        let map = shards.flatMap { shard in shard.tensors.map { ($0.name, shard.fileName) } }.sorted { $0.0 < $1.0 }
        return .object([
            ("metadata", .object([("total_size", .number(Double(totalTensorBytes)))])),
            ("weight_map", .object(map.map { ($0.0, JSONValue.string($0.1)) })),
        ])
    }

    /// Throws unless every file name is a plain name used once (shards, index and copied files
    /// together) and no tensor name appears twice; `path` (the output) is named in the error.
    func validate(path: String) throws(InteropError) {
        var seen: Set<String> = []
        let names = shards.map(\.fileName) + (writesIndex ? [Self.indexFileName] : []) + files.map(\.name)
        for name in names {
            guard !name.isEmpty, !name.contains("/"), name != ".", name != "..", !name.hasPrefix(".") else {
                throw .unrepresentable(path: path, what: "a file named \"\(name)\"", reason: "model folder files must be plain, visible file names")
            }
            guard seen.insert(name).inserted else {
                throw .unrepresentable(path: path, what: "two files named \"\(name)\"", reason: "each file of a model folder needs its own name")
            }
        }
        var tensorNames: Set<String> = []
        for tensor in tensors where !tensorNames.insert(tensor.name).inserted {
            throw .malformedSafetensors(path: path, problem: "tensor \"\(tensor.name)\" is declared twice; names must be unique")
        }
    }
}
