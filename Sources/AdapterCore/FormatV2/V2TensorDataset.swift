/// One tensor dataset of a v2 file as its attributes and HDF5 metadata describe it, validated
/// without reading data (spec/format.md §Tensor datasets). Shared by checkpoints (`/tensors/…`),
/// adapter factors (`/targets/…/A`) and attached files (`/files/…`, dtype uint8).
struct V2TensorDataset: Sendable {
    /// Name, dtype and shape (for a factor the name is its role).
    let info: TensorInfo
    /// The stored `sha256` attribute (nil for attached files, which carry none).
    let digest: String?
    /// The `order` attribute (nil where the format has none).
    let order: Int64?
    /// The optional `shard` attribute.
    let shard: String?
    /// The HDF5 link name.
    let linkName: String

    /// Which attributes a kind of dataset carries.
    struct Requirements {
        /// `name` must be present and must be what the link name unescapes to.
        var hasName: Bool
        /// `sha256` and `dtype` must be present (attached files are plain uint8 with neither required).
        var hasDigest: Bool
        /// `order` must be present.
        var hasOrder: Bool

        static let checkpointTensor = Requirements(hasName: true, hasDigest: true, hasOrder: true)
        static let factor = Requirements(hasName: false, hasDigest: true, hasOrder: false)
        static let attachedFile = Requirements(hasName: true, hasDigest: false, hasOrder: false)
    }

    /// Opens and validates dataset `linkName` of `group`; errors name `label` (the tensor, or
    /// `target/role`) and the file.
    init(in group: HDF5Group, linkName: String, requirements: Requirements, label: String? = nil) throws(FormatError) {
        let path = group.file.path
        let displayName = label ?? TensorNameEscaping.unescape(linkName) ?? linkName
        func invalid(_ problem: String) -> FormatError { .invalidTensor(path: path, tensor: displayName, problem: problem) }
        let dataset = try FormatError.wrapping { () throws(HDF5Error) in try group.openDataset(linkName) }
        let attributes = V1AttributeReader(holder: dataset, filePath: path)

        var name = linkName  // a factor's role
        if requirements.hasName {
            name = try attributes.string("name")
            guard TensorNameEscaping.unescape(linkName) == name else {
                throw invalid("its link name \"\(linkName)\" does not unescape to its name attribute \"\(name)\" (expected link \"\(TensorNameEscaping.escape(name))\")")
            }
            if let problem = TensorNameEscaping.problem(with: name) { throw invalid(problem) }
        }
        let dtype: TensorDType
        if let text = try requirements.hasDigest ? attributes.string("dtype") : attributes.optionalString("dtype") {
            guard let known = TensorDType(rawValue: text) else {
                throw invalid("attribute dtype is \"\(text)\"; expected one of \(TensorDType.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            dtype = known
        } else {
            dtype = .uint8
        }
        if requirements.hasDigest {
            let digest = try attributes.string("sha256")
            guard TensorDigest.isDigest(digest) else { throw invalid("attribute sha256 is \"\(digest.prefix(80))\"; expected 64 lower-case hex digits") }
            self.digest = digest
        } else {
            self.digest = nil
        }
        order = requirements.hasOrder ? try attributes.integer("order") : nil
        if let order, order < 0 { throw invalid("attribute order is \(order); expected a non-negative integer") }
        shard = try attributes.optionalString("shard")

        let (shape, isFiltered) = try Self.validateStorage(of: dataset, dtype: dtype, invalid: invalid)
        guard let info = TensorInfo(name: name, dtype: dtype, shape: shape), info.elementCount <= FormatV2.maxTensorElements else {
            throw invalid("has shape \(shape), more than the \(FormatV2.maxTensorElements) elements a tensor may have")
        }
        // Deflated data may be up to hdf5MaxCompressionRatio times smaller than the values it holds.
        if let size = group.file.inputSize, info.byteCount > size.multipliedReportingOverflow(by: isFiltered ? hdf5MaxCompressionRatio : 1).partialValue {
            let bound = isFiltered ? "\(hdf5MaxCompressionRatio) × the whole file's \(size) bytes (deflate's limit)" : "the whole file's \(size) bytes"
            throw invalid("declares \(info.byteCount) bytes (shape \(shape), \(dtype.rawValue)), more than \(bound)")
        }
        do { try dataset.validateStoredSize(elements: info.elementCount) } catch { throw invalid(error.detail) }
        self.info = info
        self.linkName = linkName
    }

    /// Checks the HDF5 type against the dtype and the storage (no external, virtual or plugin
    /// data); returns the shape (`[]` for a scalar dataspace) and whether filters compress it.
    private static func validateStorage(of dataset: HDF5Dataset, dtype: TensorDType, invalid: (String) -> FormatError) throws(FormatError) -> (shape: [Int], isFiltered: Bool) {
        let (stored, described) = try FormatError.wrapping { () throws(HDF5Error) in (try dataset.rawType(), try dataset.elementType().description) }
        guard let stored, stored.type == dtype.hdf5Storage else {
            let found = stored.map { "\($0.type)\($0.isLittleEndian ? "" : " big-endian")" } ?? "\(described) (not a plain IEEE float or integer type)"
            throw invalid("is stored as HDF5 \(found), but dtype \(dtype.rawValue) is stored as \(dtype.hdf5Storage) (little- or big-endian)")
        }
        let (shape, isFiltered) = try FormatError.wrapping { () throws(HDF5Error) in
            try dataset.validateStorage()
            return (try dataset.isScalar() ? [] : try dataset.shape(), !(try dataset.storage().filters.isEmpty))
        }
        guard shape.count <= FormatV2.maxRank else { throw invalid("has \(shape.count) dimensions, more than \(FormatV2.maxRank)") }
        return (shape, isFiltered)
    }

    /// Reads the tensor's stored bytes into `buffer` (exactly `info.byteCount` bytes), refusing a
    /// size over the memory budget before anything is allocated by the caller.
    func read(from group: HDF5Group, into buffer: UnsafeMutableRawBufferPointer) throws(FormatError) {
        guard buffer.count == info.byteCount else {
            throw .invalidTensor(path: group.file.path, tensor: info.name, problem: "a buffer of \(buffer.count) bytes was given for \(info.byteCount) bytes")
        }
        try FormatError.wrapping { () throws(HDF5Error) in
            try group.openDataset(linkName).readRaw(as: info.dtype.hdf5Storage, into: buffer)
        }
    }

    /// The tensor's stored bytes, after checking the memory budget.
    func readBytes(from group: HDF5Group) throws(FormatError) -> [UInt8] {
        if let refusal = MemoryBudget.refusal(count: info.byteCount, itemBytes: 1, for: "reading it") {
            throw .invalidTensor(path: group.file.path, tensor: info.name, problem: refusal)
        }
        var failure: FormatError?
        let bytes = [UInt8](unsafeUninitializedCapacity: info.byteCount) { buffer, initialized in
            do throws(FormatError) { try read(from: group, into: UnsafeMutableRawBufferPointer(buffer)) } catch { failure = error }
            initialized = info.byteCount  // UInt8 is trivial: on failure the array is dropped unread
        }
        if let failure { throw failure }
        return bytes
    }
}
