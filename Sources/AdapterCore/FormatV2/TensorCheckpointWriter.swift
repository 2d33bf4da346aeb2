/// Writes a v2 checkpoint one tensor at a time (a whole model never sits in memory), hashing each
/// tensor while HDF5 writes it; the file appears at its destination only when ``commit()``
/// succeeds (``AtomicOutput``: a folder is never replaced, the temporary file is deleted on any
/// failure, a full disk is one error line).
public final class TensorCheckpointWriter: TensorWriter {
    /// What writing throws.
    public typealias Failure = FormatError

    let output: AtomicOutput
    var file: HDF5File?
    let tensorsGroup: HDF5Group
    private let filesGroup: HDF5Group
    let compressionLevel: Int?
    var digests: [(name: String, digest: String)] = []
    var tensorNames: Set<String> = []
    private var fileNames: Set<String> = []

    /// The destination path.
    public var path: String { output.destination }

    /// Starts a checkpoint at `path`. `reservingBytes` (the total tensor bytes, when known) lets
    /// an uncompressed file reserve its disk space up front, so a full disk is an early, clean error.
    public init(path: String, metadata: TensorCheckpointMetadata, options: WriteOptions = WriteOptions(), reservingBytes: Int = 0) throws(FormatError) {
        guard !metadata.architecture.isEmpty else {
            throw .invalidAttribute(path: path, object: "the root group", name: "architecture", problem: "is empty; expected \"mlp\", a model_type or \"unknown\"")
        }
        let output = try AtomicOutput(destination: path, overwrite: options.overwrite)
        self.output = output
        compressionLevel = options.compressionLevel
        let (file, root, tensors, files) = try output.writing { () throws(HDF5Error) in
            let file = try HDF5File.create(output.temporaryPath, reservingBytes: options.compressionLevel == nil ? reservingBytes : 0)
            let root = try file.rootGroup()
            return (file, root, try root.createGroup(FormatV2.tensorsGroup), try root.createGroup(FormatV2.filesGroup))
        }
        (self.file, tensorsGroup, filesGroup) = (file, tensors, files)
        let attributes = V1AttributeWriter(holder: root)
        try attributes.set("format", .string(FormatV1.checkpointFormat))
        try attributes.set("format_version", .integer(FormatV2.version))
        try metadata.write(to: attributes)
    }

    /// Writes one tensor (see ``write(_:bytes:digest:shard:)``).
    public func write(_ info: TensorInfo, bytes: UnsafeRawBufferPointer, digest: String?) throws(FormatError) {
        try write(info, bytes: bytes, digest: digest, shard: nil)
    }

    /// Writes the next tensor: `bytes` are its `info.byteCount` little-endian bytes. `digest`, when
    /// given, is its known ``TensorDigest`` (a merge passes the base's for an untouched tensor) and
    /// is stored as is; otherwise the digest is computed while HDF5 writes. `shard` records the
    /// source shard file so an export can shard the same way.
    public func write(_ info: TensorInfo, bytes: UnsafeRawBufferPointer, digest: String?, shard: String?) throws(FormatError) {
        try check(info, byteCount: bytes.count, digest: digest)
        let order = Int64(digests.count)
        var computed = digest ?? ""
        var dataset: HDF5Dataset?
        let writeData = { () throws(FormatError) in
            dataset = try self.output.writing { () throws(HDF5Error) in
                let dataset = try self.createDataset(info, order: order, shard: shard, preallocated: false)
                try dataset.writeRaw(as: info.dtype.hdf5Storage, from: bytes)
                return dataset
            }
        }
        if digest != nil {
            try writeData()
        } else if info.byteCount < Self.concurrentHashThreshold {
            try writeData()
            computed = TensorDigest.digest(of: info, bytes: bytes)
        } else if let failure = ConcurrentPair.run(first: writeData, second: { computed = TensorDigest.digest(of: info, bytes: bytes) }) {
            throw failure
        }
        // The digest is known only once hashing is done, so it is the last attribute written.
        try output.writing { () throws(HDF5Error) in try dataset?.setAttribute("sha256", .string(computed)) }
        tensorNames.insert(info.name)
        digests.append((info.name, computed))
    }

    /// Creates tensor `info`'s dataset with every attribute but `sha256` (known only once the
    /// bytes are hashed); `preallocated` allocates its space now (see ``HDF5Group/createRawDataset``).
    func createDataset(_ info: TensorInfo, order: Int64, shard: String?, preallocated: Bool) throws(HDF5Error) -> HDF5Dataset {
        let dataset = try tensorsGroup.createRawDataset(TensorNameEscaping.escape(info.name), type: info.dtype.hdf5Storage, shape: info.shape,
                                                        compressionLevel: compressionLevel, preallocated: preallocated)
        try dataset.setAttribute("name", .string(info.name))
        try dataset.setAttribute("dtype", .string(info.dtype.rawValue))
        try dataset.setAttribute("order", .integer(order))
        if let shard { try dataset.setAttribute("shard", .string(shard)) }
        return dataset
    }

    /// Throws unless `info` may be written next with `byteCount` bytes and `digest`: the writer
    /// is open, the name is valid and new, the size matches, the shape is within the format's
    /// limits and a given digest is 64 hex digits.
    func check(_ info: TensorInfo, byteCount: Int, digest: String?) throws(FormatError) {
        guard file != nil else { throw .io(path: path, problem: "already committed") }
        func invalid(_ problem: String) -> FormatError { .invalidTensor(path: path, tensor: info.name, problem: problem) }
        if let problem = TensorNameEscaping.problem(with: info.name) { throw invalid(problem) }
        guard !tensorNames.contains(info.name) else { throw invalid("written twice") }
        guard byteCount == info.byteCount else { throw invalid("\(byteCount) bytes given for \(info.byteCount) (shape \(info.shape), \(info.dtype.rawValue))") }
        guard info.elementCount <= FormatV2.maxTensorElements, info.shape.count <= FormatV2.maxRank else {
            throw invalid("shape \(info.shape) exceeds \(FormatV2.maxTensorElements) elements or \(FormatV2.maxRank) dimensions")
        }
        if let digest, !TensorDigest.isDigest(digest) { throw invalid("the given digest \"\(digest.prefix(80))\" is not 64 lower-case hex digits") }
    }

    /// Tensors smaller than this (1 MiB) are written and hashed on one thread: below it, handing
    /// work to a second thread costs more than it saves.
    static let concurrentHashThreshold = 1 << 20

    /// Attaches a non-weight file of the source folder (config.json, tokenizer files, …) verbatim.
    public func attachFile(named name: String, contents: [UInt8]) throws(FormatError) {
        guard file != nil else { throw .io(path: path, problem: "already committed") }
        if let problem = TensorNameEscaping.problem(with: name) { throw .invalidTensor(path: path, tensor: name, problem: problem) }
        guard !fileNames.contains(name) else { throw .invalidTensor(path: path, tensor: name, problem: "attached twice") }
        guard contents.count <= FormatV2.maxAttachedFileBytes else {
            throw .invalidTensor(path: path, tensor: name, problem: "is \(contents.count) bytes; an attached file may have at most \(FormatV2.maxAttachedFileBytes)")
        }
        try output.writing { () throws(HDF5Error) in
            let dataset = try filesGroup.createRawDataset(TensorNameEscaping.escape(name), type: .integer(bits: 8, signed: false), shape: [contents.count])
            try contents.withUnsafeBufferPointer { buffer throws(HDF5Error) in try dataset.writeRaw(as: .integer(bits: 8, signed: false), from: UnsafeRawBufferPointer(buffer)) }
            try dataset.setAttribute("name", .string(name))
        }
        fileNames.insert(name)
    }

    /// Writes the model fingerprint, closes the file and moves it into place; returns the fingerprint.
    @discardableResult
    public func commit() throws(FormatError) -> String {
        guard let file else { throw .io(path: path, problem: "already committed") }
        // Every digest was checked or computed as 64 hex digits, so the fingerprint exists.
        let fingerprint = TensorDigest.modelFingerprint(digests) ?? ""
        try output.writing { () throws(HDF5Error) in
            try file.rootGroup().setAttribute("fingerprint", .string(fingerprint))
            try file.close()
        }
        self.file = nil
        try output.commit()
        return fingerprint
    }
}
