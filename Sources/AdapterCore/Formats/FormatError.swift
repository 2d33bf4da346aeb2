/// Why a checkpoint or adapter file could not be read, validated or written: always one line that
/// names the file, says what is wrong and what was expected.
public enum FormatError: Error, CustomStringConvertible, Equatable, Sendable {
    /// HDF5 itself failed (corrupt, truncated, not HDF5, unsupported storage, …).
    case hdf5(HDF5Error)
    /// The file is HDF5 but not of the kind expected (`found` is its `format` attribute, if any).
    case wrongKind(path: String, expected: String, found: String?)
    /// The file's `format_version` is newer (or older) than this reader knows.
    case unsupportedVersion(path: String, found: Int64, supported: Int64)
    /// A required attribute is missing.
    case missingAttribute(path: String, object: String, name: String)
    /// An attribute is present but unusable.
    case invalidAttribute(path: String, object: String, name: String, problem: String)
    /// A layer's datasets are missing or inconsistent.
    case invalidLayer(path: String, layer: String, problem: String)
    /// A named tensor (format v2: a checkpoint tensor, an adapter target or factor, an attached
    /// file) is missing, inconsistent or unreadable.
    case invalidTensor(path: String, tensor: String, problem: String)
    /// The output exists and replacing it was not allowed (the CLI adds the flag that allows it).
    case outputExists(path: String)
    /// The output path is a folder, which is never replaced, even with `overwrite: true`.
    case outputIsFolder(path: String)
    /// A plain file-system failure.
    case io(path: String, problem: String)

    /// The single error line shown to users.
    public var description: String {
        switch self {
        case .hdf5(let error):
            return error.description
        case .wrongKind(let path, let expected, let found):
            let what = found.map { "its format attribute is \"\($0)\"" } ?? "it has no format attribute"
            return "\(path): not an \(expected) file (\(what)); expected format = \"\(expected)\""
        case .unsupportedVersion(let path, let found, let supported) where found != supported && (1...FormatV2.version).contains(found):
            let reader = found == 1 ? "the v1 readers (CheckpointFile, AdapterFile)" : "the v2 readers (TensorCheckpointFile, TensorAdapterFile)"
            return "\(path): format_version \(found) is not supported by this version-\(supported) reader; v\(found) files are read by \(reader) and the adaptool commands that accept them"
        case .unsupportedVersion(let path, let found, let supported):
            return "\(path): format_version \(found) is not supported; this adaptool reads version \(supported) (upgrade adaptool to read newer files)"
        case .missingAttribute(let path, let object, let name):
            return "\(path): \(object) lacks the required attribute \"\(name)\""
        case .invalidAttribute(let path, let object, let name, let problem):
            return "\(path): attribute \"\(name)\" of \(object) \(problem)"
        case .invalidLayer(let path, let layer, let problem):
            return "\(path): layer \"\(layer)\": \(problem)"
        case .invalidTensor(let path, let tensor, let problem):
            return "\(path): tensor \"\(tensor)\": \(problem)"
        case .outputExists(let path):
            return "\(path): already exists"
        case .outputIsFolder(let path):
            return "\(path): is a folder; adaptool never replaces a folder (remove it or choose another path)"
        case .io(let path, let problem):
            return "\(path): \(problem)"
        }
    }
}

extension FormatError {
    /// What is wrong, without the path (for errors re-raised under another type that adds it).
    public var problem: String {
        if case .io(_, let problem) = self { return problem }
        return description
    }

    /// An input that cannot be read, as ``FormatError/io(path:problem:)``.
    package init(_ error: InputFileError) {
        self = .io(path: error.path, problem: error.problem)
    }

    /// Runs `body`, turning any ``HDF5Error`` into ``FormatError/hdf5(_:)``.
    static func wrapping<T>(_ body: () throws(HDF5Error) -> T) throws(FormatError) -> T {
        do { return try body() } catch { throw .hdf5(error) }
    }
}
