/// A v2 checkpoint (named tensors, spec/format.md §2) opened for reading: the root attributes and
/// every tensor dataset's attributes, type, shape and storage are validated on open, without
/// reading any data; tensor bytes are read only on request, one tensor at a time.
public final class TensorCheckpointFile: TensorReader {
    /// What reading throws.
    public typealias Failure = FormatError

    /// The file's path.
    public let path: String
    /// Architecture, creator, provenance and the other root attributes.
    public let metadata: TensorCheckpointMetadata
    /// The model fingerprint the file claims (recompute with ``verify()``).
    public let fingerprint: String
    /// Every tensor, in stored order (the `order` attribute).
    public let tensors: [TensorInfo]
    /// The names of the attached files (`/files`: config.json, tokenizer files, …), sorted.
    public let attachedFiles: [String]
    /// Every root attribute, for display.
    package let rootAttributes: [(name: String, value: HDF5AttributeValue)]

    let tensorsGroup: HDF5Group
    let filesGroup: HDF5Group?
    let stored: [V2TensorDataset]
    private let index: [String: Int]
    private let files: [String: V2TensorDataset]

    /// `"mlp"`, a config.json `model_type`, or `"unknown"`.
    public var architecture: String { metadata.architecture }
    /// The tool that wrote the file.
    public var createdBy: String? { metadata.createdBy }
    /// How the file was produced (JSON text).
    public var provenance: String? { metadata.provenance }
    /// The source safetensors header's `__metadata__` (JSON text).
    public var safetensorsMetadata: String? { metadata.safetensorsMetadata }

    /// Opens and validates `path`, reading metadata only. A v1 checkpoint is
    /// ``FormatError/unsupportedVersion(path:found:supported:)``; any other problem is one
    /// ``FormatError`` naming the file and, where there is one, the tensor.
    public init(path: String) throws(FormatError) {
        self.path = path
        let root = try FormatError.wrapping { () throws(HDF5Error) in try HDF5File.openReadOnly(path).rootGroup() }
        let attributes = V1AttributeReader(holder: root, filePath: path)
        try attributes.requireFormatV2(FormatV1.checkpointFormat)
        metadata = try TensorCheckpointMetadata(reading: attributes)
        fingerprint = try attributes.string("fingerprint")
        guard TensorDigest.isDigest(fingerprint) else { throw attributes.invalid("fingerprint", "must be 64 lower-case hex digits (the v2 model fingerprint)") }

        guard try FormatError.wrapping({ () throws(HDF5Error) in try root.containsChecked(FormatV2.tensorsGroup) }) else { throw .invalidTensor(path: path, tensor: "/\(FormatV2.tensorsGroup)", problem: "the group is missing; a v2 checkpoint keeps its tensors there") }
        tensorsGroup = try FormatError.wrapping { () throws(HDF5Error) in try root.openGroup(FormatV2.tensorsGroup) }
        let stored = try Self.readDatasets(in: tensorsGroup, requirements: .checkpointTensor, path: path)
            .sorted { ($0.order ?? 0) < ($1.order ?? 0) }
        for (previous, next) in zip(stored, stored.dropFirst()) where previous.order == next.order {
            throw .invalidTensor(path: path, tensor: next.info.name, problem: "has order \(next.order ?? 0), like tensor \"\(previous.info.name)\"; each tensor needs its own position")
        }
        self.stored = stored
        tensors = stored.map(\.info)
        index = Dictionary(stored.enumerated().map { ($1.info.name, $0) }, uniquingKeysWith: { first, _ in first })

        // A failed lookup (a damaged root group) must not read as "no attached files": export
        // would then write a model folder without its config.json.
        if try FormatError.wrapping({ () throws(HDF5Error) in try root.containsChecked(FormatV2.filesGroup) }) {
            let group = try FormatError.wrapping { () throws(HDF5Error) in try root.openGroup(FormatV2.filesGroup) }
            let files = try Self.readDatasets(in: group, requirements: .attachedFile, path: path)
            for file in files where file.info.dtype != .uint8 || file.info.shape.count != 1 || file.info.byteCount > FormatV2.maxAttachedFileBytes {
                throw .invalidTensor(path: path, tensor: "/files/\(file.linkName)", problem: "an attached file must be a 1-D uint8 dataset of at most \(FormatV2.maxAttachedFileBytes) bytes; found \(file.info.dtype.rawValue) \(file.info.shape)")
            }
            filesGroup = group
            self.files = Dictionary(files.map { ($0.info.name, $0) }, uniquingKeysWith: { first, _ in first })
        } else {
            filesGroup = nil
            files = [:]
        }
        attachedFiles = files.keys.sorted()
        rootAttributes = try FormatError.wrapping { () throws(HDF5Error) in
            try root.attributeNames().map { name throws(HDF5Error) in (name, try root.attribute(name) ?? .unsupported("missing")) }
        }
    }

    /// Validates every dataset of `group` and refuses two that stand for the same name (`a%2Fb`
    /// and `a%2fb` both unescape to `a/b`).
    static func readDatasets(in group: HDF5Group, requirements: V2TensorDataset.Requirements, path: String) throws(FormatError) -> [V2TensorDataset] {
        let links = try FormatError.wrapping { () throws(HDF5Error) in try group.childNames() }
        var result: [V2TensorDataset] = []
        var seen: [String: String] = [:]
        for link in links {
            let dataset = try V2TensorDataset(in: group, linkName: link, requirements: requirements)
            if let other = seen[dataset.info.name] {
                throw .invalidTensor(path: path, tensor: dataset.info.name, problem: "is stored twice, as \"\(other)\" and \"\(link)\" in \(group.path)")
            }
            seen[dataset.info.name] = link
            result.append(dataset)
        }
        return result
    }

    /// The tensor called `name`, if present.
    public func info(named name: String) -> TensorInfo? { index[name].map { stored[$0].info } }

    /// The stored SHA-256 digest of tensor `name` (``TensorDigest``), if present.
    public func digest(of name: String) -> String? { index[name].flatMap { stored[$0].digest } }

    /// The source shard file tensor `name` came from (`model-00001-of-00002.safetensors`), if recorded.
    public func shard(of name: String) -> String? { index[name].flatMap { stored[$0].shard } }

    private func dataset(_ name: String) throws(FormatError) -> V2TensorDataset {
        guard let position = index[name] else { throw .invalidTensor(path: path, tensor: name, problem: "not in this checkpoint") }
        return stored[position]
    }

    /// The tensor's bytes exactly as stored (little-endian), `info.byteCount` of them.
    public func rawBytes(of name: String) throws(FormatError) -> [UInt8] {
        try dataset(name).readBytes(from: tensorsGroup)
    }

    /// Reads the tensor's bytes into `buffer`, which must be exactly `info.byteCount` bytes (lets
    /// a streaming caller reuse one buffer).
    public func readRawBytes(of name: String, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        try dataset(name).read(from: tensorsGroup, into: buffer)
    }

    /// The tensor's values widened exactly to float64; an integer or bool tensor is an error.
    public func float64Values(of name: String) throws(FormatError) -> [Double] {
        let info = try dataset(name).info
        guard info.dtype.isFloatingPoint else { throw .invalidTensor(path: path, tensor: name, problem: "is \(info.dtype.rawValue), not a floating-point tensor") }
        if let refusal = MemoryBudget.refusal(count: info.elementCount, itemBytes: 8, for: "widening it to float64") {
            throw .invalidTensor(path: path, tensor: name, problem: refusal)
        }
        let bytes = try rawBytes(of: name)
        return info.dtype.float64Values(fromLittleEndian: bytes, count: info.elementCount) ?? []
    }

    /// The contents of attached file `name` (e.g. `config.json`), verbatim.
    public func attachedFile(named name: String) throws(FormatError) -> [UInt8] {
        guard let file = files[name], let filesGroup else { throw .invalidTensor(path: path, tensor: name, problem: "no such attached file (attached: \(attachedFiles.joined(separator: ", ")))") }
        return try file.readBytes(from: filesGroup)
    }
}
