import AdapterCore
import Foundation

extension ModelFolder {
    /// Extensions of weight files in other formats (PyTorch, TensorFlow, Flax, GGUF, ONNX…): never
    /// carried along, since after a merge they would hold the old weights (and they are large).
    static let weightFileExtensions: Set<String> = ["safetensors", "bin", "pt", "pth", "ckpt", "gguf", "h5", "msgpack", "onnx", "ot", "npz", "pkl"]

    /// The folder's other top-level files, sorted: config.json, generation_config.json, tokenizer
    /// files, README… Left out: hidden files, sub-folders, weight files of any format and their
    /// indexes (`*.index.json`). Symbolic links count as the file they point to.
    public func companionFiles() throws(InteropError) -> [String] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: path) } catch {
            throw .format(.io(path: path, problem: "cannot list the folder: \(error.localizedDescription)"))
        }
        return names.filter { name in
            guard !name.hasPrefix("."), !name.hasSuffix(".index.json"),
                  !Self.weightFileExtensions.contains((name as NSString).pathExtension.lowercased()) else { return false }
            var status = stat()
            return stat(path + "/" + name, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
        }.sorted()
    }

    /// This folder's layout: the same shard file names, header metadata and tensor order, with an
    /// index when the folder has one, and every ``companionFiles()`` copied from here. A tensor
    /// whose dtype adaptool cannot carry (an 8-bit float) is an error naming it, never dropped.
    public func layout() throws(InteropError) -> ModelFolderLayout {
        let files: [SafetensorsFile]
        switch weights {
        case .single(let path): files = [try SafetensorsFile(path: path)]
        case .sharded(let indexPath): files = try ShardedSafetensors(indexPath: indexPath).shards
        }
        let shards = try files.map { (file) throws(InteropError) -> ModelFolderLayout.Shard in
            if let entry = file.header.tensors.first(where: { file.info(named: $0.name) == nil }) {
                throw .unsupportedDType(path: file.path, tensor: entry.name, dtype: entry.dtype.rawValue)
            }
            return .init(fileName: (file.path as NSString).lastPathComponent, metadata: file.metadata, tensors: file.tensors)
        }
        let copies = try companionFiles().map { ModelFolderLayout.File(name: $0, contents: .file(path: path + "/" + $0)) }
        let isSharded = if case .sharded = weights { true } else { false }
        return ModelFolderLayout(shards: shards, files: copies, writesIndex: isSharded)
    }
}
