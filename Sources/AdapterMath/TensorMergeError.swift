import AdapterCore
import AdapterMethods

/// Why a merge or unmerge over named tensors (``TensorMerge``) failed. Reading and writing errors
/// are carried as they came (each already names its file); the merge's own findings are structured.
public enum TensorMergeError: Error, CustomStringConvertible {
    /// Reading the base failed.
    case base(any Error)
    /// Reading adapter `adapter`'s factors failed.
    case adapter(adapter: String, any Error)
    /// Writing the output failed.
    case output(any Error)
    /// Adapter `adapter`'s method refused a target (bad shape, rank, factor, zero norm, not invertible…).
    case method(adapter: String, MethodError)
    /// The adapters do not fit the base or each other, or the result is unusable.
    case merge(MergeError)

    /// The error behind this one (what a reader, writer or the method threw), for callers that
    /// add advice to particular errors.
    public var underlying: any Error {
        switch self {
        case .base(let error), .output(let error), .adapter(_, let error): return error
        case .method(_, let error): return error
        case .merge(let error): return error
        }
    }

    /// The single error line shown to users.
    public var description: String {
        switch self {
        case .base(let error), .output(let error), .adapter(_, let error): return String(describing: error)
        case .method(let adapter, let error): return "\(adapter): \(error)"
        case .merge(let error): return error.description
        }
    }
}
