import AdapterCore

/// Why a safetensors file or PEFT folder could not be read, converted or written: always one line
/// naming the file, what is wrong and what was expected.
public enum InteropError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The safetensors file itself is malformed (header, offsets, byte counts, names).
    case malformedSafetensors(path: String, problem: String)
    /// A tensor uses a dtype adaptool does not read (e.g. I64, U8, F8_E4M3).
    case unsupportedDType(path: String, tensor: String, dtype: String)
    /// A tensor the conversion needs is absent.
    case missingTensor(path: String, tensor: String, expected: String)
    /// A tensor has the wrong rank or shape for its role.
    case badShape(path: String, tensor: String, shape: [Int], expected: String)
    /// A tensor or setting exists that adaptool cannot represent; converting would silently drop it.
    case unrepresentable(path: String, what: String, reason: String)
    /// An adaptool adapter uses a setting PEFT has no form for, so it cannot be exported.
    case notExpressibleInPEFT(path: String, what: String, reason: String)
    /// A tensor holds NaN or infinite values (after widening to float32), which no adaptool file may hold.
    case nonFinite(path: String, tensor: String, count: Int, total: Int)
    /// adapter_config.json is missing, not JSON, or has an unusable field (or, on export, a field
    /// would get a value the file cannot hold).
    case badConfig(path: String, field: String, problem: String)
    /// A sharded model's `model.safetensors.index.json` is unusable: not JSON, no `weight_map`, a
    /// shard name that is not a plain file in the folder, a missing shard, or a weight map that
    /// disagrees with what the shards hold.
    case badIndex(path: String, problem: String)
    /// The source is neither a safetensors file nor a PEFT folder.
    case unknownSource(path: String, problem: String)
    /// A PEFT adapter does not record its base, and none was given to check it against.
    case missingBase(path: String)
    /// A PEFT adapter does not fit its base at `module` (no such base tensor, a factor of the wrong
    /// shape or rank, a module the config does not target); `path` is the adapter file concerned.
    case adapterMismatch(path: String, module: String, problem: String)
    /// The HDF5 side (reading the base, writing the output) failed.
    case format(FormatError)

    /// The single error line shown to users.
    public var description: String {
        switch self {
        case .malformedSafetensors(let path, let problem):
            return "\(path): not a valid safetensors file: \(problem)"
        case .unsupportedDType(let path, let tensor, let dtype):
            return "\(path): tensor \"\(tensor)\" has dtype \(dtype); adaptool reads F32, F64, F16 and BF16 only"
        case .missingTensor(let path, let tensor, let expected):
            return "\(path): tensor \"\(tensor)\" is missing; expected \(expected)"
        case .badShape(let path, let tensor, let shape, let expected):
            return "\(path): tensor \"\(tensor)\" has shape \(shape); expected \(expected)"
        case .notExpressibleInPEFT(let path, let what, let reason):
            return "\(path): \(what) cannot be represented by PEFT (\(reason)); merge it into its base with adaptool merge BASE \(path) instead"
        case .unrepresentable(let path, let what, let reason):
            return "\(path): \(what) cannot be represented by adaptool (\(reason)); refusing rather than dropping it"
        case .nonFinite(let path, let tensor, let count, let total):
            return "\(path): tensor \"\(tensor)\" holds \(count) of \(total) values that are NaN or infinite (as float32); adaptool files hold finite values only"
        case .badConfig(let path, let field, let problem):
            return "\(path): \"\(field)\" \(problem)"
        case .badIndex(let path, let problem):
            return "\(path): not a valid safetensors index: \(problem)"
        case .unknownSource(let path, let problem):
            return "\(path): \(problem)"
        case .missingBase(let path):
            return "\(path): a PEFT adapter does not say which base it belongs to; its base (the checkpoint .h5 or the base state dict .safetensors) is needed so its fingerprint is recorded and every shape is checked"
        case .adapterMismatch(let path, let module, let problem):
            return "\(path): \(module): \(problem)"
        case .format(let error):
            return error.description
        }
    }
}

extension InteropError {
    /// Runs `body`, turning a ``FormatError`` into ``InteropError/format(_:)``.
    static func wrapping<T>(_ body: () throws(FormatError) -> T) throws(InteropError) -> T {
        do { return try body() } catch { throw .format(error) }
    }

    /// Runs `body`, turning an input that cannot be read into ``InteropError/format(_:)``
    /// (as ``FormatError/io(path:problem:)``).
    static func wrapping<T>(_ body: () throws(InputFileError) -> T) throws(InteropError) -> T {
        do { return try body() } catch { throw .format(FormatError(error)) }
    }
}
