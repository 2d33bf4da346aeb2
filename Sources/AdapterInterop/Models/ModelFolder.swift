import AdapterCore
import Foundation

/// A Hugging Face model folder: `config.json` plus the weights, either one `model.safetensors` or
/// shards listed by `model.safetensors.index.json` (the index wins when both are present, as in
/// `transformers`).
public struct ModelFolder: Sendable, Equatable {
    /// Where the weights are.
    public enum Weights: Sendable, Equatable {
        /// One safetensors file.
        case single(path: String)
        /// A shard index.
        case sharded(indexPath: String)
    }

    /// The folder's path.
    public let path: String
    /// `config.json`'s path.
    public let configPath: String
    /// The weights.
    public let weights: Weights

    /// The model folder at `path`, or nil when it is not a folder holding config.json and
    /// model.safetensors or model.safetensors.index.json.
    public static func detect(_ path: String) -> ModelFolder? {
        let files = FileManager.default
        var isDirectory: ObjCBool = false
        guard files.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else { return nil }
        let config = path + "/config.json"
        guard files.fileExists(atPath: config) else { return nil }
        let index = path + "/model.safetensors.index.json", single = path + "/model.safetensors"
        if files.fileExists(atPath: index) { return ModelFolder(path: path, configPath: config, weights: .sharded(indexPath: index)) }
        if files.fileExists(atPath: single) { return ModelFolder(path: path, configPath: config, weights: .single(path: single)) }
        return nil
    }

    /// Opens the weights (headers read and validated; no tensor data yet).
    public func reader() throws(InteropError) -> any TensorReader<InteropError> {
        switch weights {
        case .single(let path): return try SafetensorsFile(path: path)
        case .sharded(let indexPath): return try ShardedSafetensors(indexPath: indexPath)
        }
    }
}
