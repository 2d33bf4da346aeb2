import AdapterCore
import Foundation

/// A model to import into a v2 checkpoint: a Hugging Face model folder (one or sharded
/// safetensors, `config.json` and the folder's other small files) or one `.safetensors` file of
/// any architecture. Opening reads headers only; every tensor must be of a dtype format v2 stores
/// (one that is not is refused: dropping it would lose part of the model).
public struct ModelSource {
    /// The folder or file imported.
    public let path: String
    /// The tensors, in source order (shards in file-name order).
    public let reader: any TensorReader<InteropError>
    /// `config.json`'s `model_type`, or `"unknown"` for a bare file or a config without one.
    public let architecture: String
    /// The (first) source header's `__metadata__` as a JSON object text, if it has any.
    public let safetensorsMetadata: String?
    /// The folder's non-weight files to attach (config.json, tokenizer files, …), by file name.
    public let attachedFiles: [(name: String, path: String)]
    /// Files of the folder left out, one line each (other weight formats, subfolders, …).
    public let notes: [String]
    private let shardByTensor: [String: String]

    /// `architecture` of a source that does not name one.
    public static let unknownArchitecture = "unknown"

    /// File extensions of weights in other formats that a model folder may carry beside its
    /// safetensors (PyTorch pickles, GGUF, Flax, TensorFlow, ONNX): never attached, they are the
    /// same weights again and can be gigabytes.
    static let otherWeightExtensions: Set<String> = ["bin", "pt", "pth", "ckpt", "gguf", "msgpack", "h5", "onnx", "pkl"]

    /// The v2 model fingerprint an import of this source records (spec/format.md §Fingerprint v2),
    /// computed by reading and hashing one tensor at a time.
    public func fingerprint() throws(InteropError) -> String {
        var digests: [(name: String, digest: String)] = []
        for info in reader.tensors {
            let bytes = try reader.rawBytes(of: info.name)
            digests.append((info.name, bytes.withUnsafeBytes { TensorDigest.digest(of: info, bytes: $0) }))
        }
        guard let fingerprint = TensorDigest.modelFingerprint(digests) else {
            throw .unrepresentable(path: path, what: "the model fingerprint", reason: "a tensor digest was not 64 hex digits")
        }
        return fingerprint
    }

    /// The shard file holding `tensor` (for a single file, that file's name).
    public func shard(of tensor: String) -> String? { shardByTensor[tensor] }

    /// Opens the model folder `folder`.
    public init(folder: ModelFolder) throws(InteropError) {
        let files: [SafetensorsFile]
        switch folder.weights {
        case .single(let path):
            let file = try SafetensorsFile(path: path)
            (files, reader) = ([file], file)
        case .sharded(let indexPath):
            let sharded = try ShardedSafetensors(indexPath: indexPath)
            (files, reader) = (sharded.shards, sharded)
        }
        let type = try folder.modelType()
        (path, architecture) = (folder.path, type ?? Self.unknownArchitecture)
        let weightNames = Set(files.map { URL(fileURLWithPath: $0.path).lastPathComponent })
        (attachedFiles, notes) = try Self.attachableFiles(in: folder.path, skipping: weightNames)
        (shardByTensor, safetensorsMetadata) = try Self.shards(files)
    }

    /// Opens one `.safetensors` file as a model of unknown architecture.
    public init(file: SafetensorsFile) throws(InteropError) {
        (path, reader, architecture, attachedFiles, notes) = (file.path, file, Self.unknownArchitecture, [], [])
        (shardByTensor, safetensorsMetadata) = try Self.shards([file])
    }

    /// Every tensor's shard file name, refusing a tensor of a dtype v2 does not store, and the
    /// first file's metadata.
    private static func shards(_ files: [SafetensorsFile]) throws(InteropError) -> ([String: String], String?) {
        var shardByTensor: [String: String] = [:]
        for file in files {
            let name = URL(fileURLWithPath: file.path).lastPathComponent
            if file.tensors.count != file.header.tensors.count,
               let entry = file.header.tensors.first(where: { file.info(named: $0.name) == nil }) {
                throw .unrepresentable(path: file.path, what: "tensor \"\(entry.name)\" of dtype \(entry.dtype.rawValue)",
                                       reason: "format v2 stores F32, F16, BF16, F64, integer and BOOL tensors only, and leaving it out would lose part of the model")
            }
            for tensor in file.tensorNames { shardByTensor[tensor] = name }
        }
        let metadata = files.first?.metadata ?? [:]
        let text = metadata.isEmpty ? nil : JSONValue.object(metadata.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) }).serialized
        return (shardByTensor, text)
    }

    /// The regular files of `folder` to attach, in name order: everything but the weights
    /// (`*.safetensors`, the shard index, weights in other formats), hidden files and subfolders.
    /// A file above ``FormatV2/maxAttachedFileBytes`` is refused, naming the limit.
    private static func attachableFiles(in folder: String, skipping weights: Set<String>) throws(InteropError) -> ([(name: String, path: String)], [String]) {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted() } catch {
            throw .format(.io(path: folder, problem: "cannot be listed (\(error.localizedDescription))"))
        }
        var attached: [(name: String, path: String)] = []
        var skipped: [String] = []
        for name in names where !name.hasPrefix(".") && !weights.contains(name) {
            let path = folder + "/" + name
            let fileExtension = URL(fileURLWithPath: name).pathExtension.lowercased()
            if fileExtension == "safetensors" || name == ModelFolder.indexName { continue }
            var status = stat()
            guard stat(path, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { skipped.append(name); continue }
            if otherWeightExtensions.contains(fileExtension) { skipped.append(name); continue }
            guard Int(status.st_size) <= FormatV2.maxAttachedFileBytes else {
                throw .unrepresentable(path: path, what: "a \(status.st_size)-byte file to attach",
                                       reason: "files kept beside the weights are limited to \(FormatV2.maxAttachedFileBytes) bytes; move it out of the folder if it is not part of the model")
            }
            attached.append((name, path))
        }
        let notes = skipped.isEmpty ? [] : ["note: not attached (weights in another format, subfolders or non-regular files): \(skipped.joined(separator: ", "))"]
        return (attached, notes)
    }
}
