import AdapterCore
import Foundation

/// A model-like input opened as named tensors, whatever it is stored as: a format v2 checkpoint,
/// a v1 MLP checkpoint (seen as `<layer>.weight` / `<layer>.bias`), a Hugging Face model folder
/// (one or sharded safetensors) or one `.safetensors` file. Opening reads headers only.
public struct TensorSource {
    /// The path given.
    public let path: String
    /// What the path is.
    public let kind: FileKind
    /// The tensors, read one at a time on request.
    public let reader: any TensorReader
    /// `"mlp"`, the config.json `model_type`, or ``ModelSource/unknownArchitecture``.
    public let architecture: String
    /// The v2 model fingerprint the file records (v2 checkpoints only).
    public let storedFingerprint: String?

    /// Whether the model's 2-D weights are transformers' `Conv1D`, stored `[in, out]` (GPT-2
    /// family): adapters on them are `inputMajor`, as PEFT forces `fan_in_fan_out`.
    public var storesWeightsInputMajor: Bool { PEFTTargetMatcher.conv1DModelTypes.contains(architecture) }

    /// The v2 model fingerprint of the model: the recorded one of a v2 checkpoint, or, for a
    /// model folder or `.safetensors` file, the one `adaptool import` would record (every tensor
    /// hashed, one at a time); nil for a v1 checkpoint, whose fingerprint follows the v1 recipe.
    public func v2Fingerprint() throws(InteropError) -> String? {
        if let storedFingerprint { return storedFingerprint }
        switch kind {
        case .modelFolder, .safetensors: return try TensorSources.fingerprint(of: reader, path: path)
        default: return nil
        }
    }
}

/// Opens any model-like path as a ``TensorSource``: the one place commands (diff, extract,
/// import against a base, …) turn a path into named tensors.
public enum TensorSources {
    /// Whether `kind` is something ``open(_:kind:)`` reads: an adaptool checkpoint (v1 or v2), a
    /// model folder or a safetensors file.
    public static func isModel(_ kind: FileKind) -> Bool {
        switch kind {
        case .checkpoint, .modelFolder, .safetensors: return true
        default: return false
        }
    }

    /// Opens `path` (detected with ``FileKind/detect(_:)`` unless `kind` is given). Anything that
    /// is not a model is ``InteropError/unknownSource(path:problem:)`` saying what it is;
    /// `expected` words what the caller wanted ("diff compares two models or two adapters").
    public static func open(_ path: String, kind known: FileKind? = nil,
                            expected: String = "expected a model: an adaptool checkpoint (.h5), a Hugging Face model folder or a .safetensors file") throws(InteropError) -> TensorSource {
        let kind = known ?? FileKind.detect(path)
        switch kind {
        case .checkpoint(FormatV2.version):
            let file = try InteropError.wrapping { () throws(FormatError) in try TensorCheckpointFile(path: path) }
            return TensorSource(path: path, kind: kind, reader: file, architecture: file.architecture, storedFingerprint: file.fingerprint)
        case .checkpoint:
            let file = try InteropError.wrapping { () throws(FormatError) in try CheckpointFile(path: path) }
            return TensorSource(path: path, kind: kind, reader: file, architecture: FormatV2.mlpArchitecture, storedFingerprint: nil)
        case .modelFolder(let folder):
            let architecture = try folder.modelType() ?? ModelSource.unknownArchitecture
            return TensorSource(path: path, kind: kind, reader: try folder.reader(), architecture: architecture, storedFingerprint: nil)
        case .safetensors:
            return TensorSource(path: path, kind: kind, reader: try SafetensorsFile(path: path),
                                architecture: ModelSource.unknownArchitecture, storedFingerprint: nil)
        default:
            throw .unknownSource(path: path, problem: "is \(kind.summary); \(expected)")
        }
    }

    /// The v2 model fingerprint of `reader`'s tensors (spec/format.md §Fingerprint v2), reading
    /// and hashing one tensor at a time; `path` is named in errors.
    public static func fingerprint(of reader: some TensorReader, path: String) throws(InteropError) -> String {
        var digests: [(name: String, digest: String)] = []
        for info in reader.tensors {
            let bytes: [UInt8]
            do { bytes = try reader.rawBytes(of: info.name) } catch let error as InteropError { throw error } catch let error as FormatError {
                throw .format(error)
            } catch { throw .format(.io(path: path, problem: String(describing: error))) }
            digests.append((info.name, bytes.withUnsafeBytes { TensorDigest.digest(of: info, bytes: $0) }))
        }
        guard let fingerprint = TensorDigest.modelFingerprint(digests) else {
            throw .unrepresentable(path: path, what: "the model fingerprint", reason: "a tensor digest was not 64 hex digits")
        }
        return fingerprint
    }
}
