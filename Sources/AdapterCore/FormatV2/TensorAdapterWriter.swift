/// Writes a v2 adapter one target at a time; the file appears at its destination only when
/// ``commit()`` succeeds (``AtomicOutput``, as for checkpoints). Method-specific rules (which
/// roles, which shapes) are the caller's: validate with the method registry first.
public final class TensorAdapterWriter {
    private let output: AtomicOutput
    private var file: HDF5File?
    private let targetsGroup: HDF5Group
    private let compressionLevel: Int?
    private var tensors: Set<String> = []

    /// The destination path.
    public var path: String { output.destination }

    /// Starts an adapter of `method` (a registry name) at `path`. `baseFingerprint` is the v2 model
    /// fingerprint of the checkpoint it was made for, when known.
    public init(path: String, method: String, baseFingerprint: String?, createdBy: String? = nil, provenance: String? = nil,
                options: WriteOptions = WriteOptions()) throws(FormatError) {
        func invalid(_ name: String, _ problem: String) -> FormatError { .invalidAttribute(path: path, object: "the root group", name: name, problem: problem) }
        guard !method.isEmpty else { throw invalid("method", "is empty; expected a method name such as \"lora\"") }
        if let baseFingerprint, !TensorDigest.isDigest(baseFingerprint) { throw invalid("base_fingerprint", "must be 64 lower-case hex digits") }
        let output = try AtomicOutput(destination: path, overwrite: options.overwrite)
        self.output = output
        compressionLevel = options.compressionLevel
        let (file, root, targets) = try output.writing { () throws(HDF5Error) in
            let file = try HDF5File.create(output.temporaryPath)
            let root = try file.rootGroup()
            return (file, root, try root.createGroup(FormatV2.targetsGroup))
        }
        (self.file, targetsGroup) = (file, targets)
        let attributes = V1AttributeWriter(holder: root)
        try attributes.set("format", .string(FormatV1.adapterFormat))
        try attributes.set("format_version", .integer(FormatV2.version))
        try attributes.set("method", .string(method))
        try attributes.set("base_fingerprint", baseFingerprint.map { .string($0) })
        try attributes.set("created_by", .string(createdBy ?? FormatV1.toolVersion))
        try attributes.set("provenance", provenance.map { .string($0) })
    }

    /// Writes the next target with each factor's values narrowed (rounded once) to the dtype its
    /// ``TensorInfo`` in `target.factors` names.
    public func write(_ target: LowRankTarget, factorValues: [String: [Double]]) throws(FormatError) {
        var bytes: [String: [UInt8]] = [:]
        for (role, values) in factorValues {
            guard let info = target.factors[role], info.dtype.isFloatingPoint, values.count == info.elementCount else {
                throw .invalidTensor(path: path, tensor: target.tensor, problem: "factor \"\(role)\" has \(values.count) values, which do not fit its declared floating tensor \(target.factors[role].map { "\($0.dtype.rawValue) \($0.shape)" } ?? "(none)")")
            }
            var raw = [UInt8](repeating: 0, count: info.byteCount)
            raw.withUnsafeMutableBytes { destination in values.withUnsafeBufferPointer { info.dtype.narrow($0, into: destination) } }
            bytes[role] = raw
        }
        try write(target, factorBytes: bytes)
    }

    /// Writes the next target: `factorBytes[role]` are the little-endian bytes of the factor
    /// `target.factors[role]` describes (dtype and shape; every role present in both).
    public func write(_ target: LowRankTarget, factorBytes: [String: [UInt8]]) throws(FormatError) {
        guard file != nil else { throw .io(path: path, problem: "already committed") }
        func invalid(_ problem: String) -> FormatError { .invalidTensor(path: path, tensor: target.tensor, problem: problem) }
        if let problem = TensorNameEscaping.problem(with: target.tensor) { throw invalid(problem) }
        guard !tensors.contains(target.tensor) else { throw invalid("targeted twice") }
        if let problem = V1Rules.rankProblem(Int64(target.rank)) { throw invalid("rank \(problem)") }
        guard target.scaling.isFinite else { throw invalid("scaling is \(target.scaling); expected a finite number") }
        guard !target.factors.isEmpty, Set(target.factors.keys) == Set(factorBytes.keys) else {
            throw invalid("factors \(target.factors.keys.sorted()) declared but \(factorBytes.keys.sorted()) given")
        }
        for (role, info) in target.factors {
            guard !role.isEmpty, !role.contains("/"), role != ".", info.dtype.isFloatingPoint, factorBytes[role]?.count == info.byteCount else {
                throw invalid("factor \"\(role)\" must be a floating tensor of \(info.byteCount) bytes with a plain role name; \(factorBytes[role]?.count ?? 0) bytes given")
            }
        }
        let order = Int64(tensors.count)
        try output.writing { () throws(HDF5Error) in
            let group = try targetsGroup.createGroup(TensorNameEscaping.escape(target.tensor))
            try group.setAttribute("tensor", .string(target.tensor))
            try group.setAttribute("rank", .integer(Int64(target.rank)))
            try group.setAttribute("scaling", .double(target.scaling))
            try group.setAttribute("layout", .string(target.layout.rawValue))
            try group.setAttribute("order", .integer(order))
            for role in target.factors.keys.sorted() {
                guard let info = target.factors[role], let bytes = factorBytes[role] else { continue }
                let named = TensorInfo(name: role, dtype: info.dtype, shape: info.shape) ?? info
                let dataset = try group.createRawDataset(role, type: info.dtype.hdf5Storage, shape: info.shape, compressionLevel: compressionLevel)
                let digest = try bytes.withUnsafeBufferPointer { buffer throws(HDF5Error) in
                    let raw = UnsafeRawBufferPointer(buffer)
                    try dataset.writeRaw(as: info.dtype.hdf5Storage, from: raw)
                    return TensorDigest.digest(of: named, bytes: raw)
                }
                try dataset.setAttribute("dtype", .string(info.dtype.rawValue))
                try dataset.setAttribute("sha256", .string(digest))
            }
        }
        tensors.insert(target.tensor)
    }

    /// Closes the file and moves it into place.
    public func commit() throws(FormatError) {
        guard let file else { throw .io(path: path, problem: "already committed") }
        guard !tensors.isEmpty else { throw .invalidTensor(path: path, tensor: "/\(FormatV2.targetsGroup)", problem: "no target was written; an adapter targets at least one tensor") }
        try output.writing { () throws(HDF5Error) in try file.close() }
        self.file = nil
        try output.commit()
    }
}
