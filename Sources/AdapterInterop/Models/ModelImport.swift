import AdapterCore

/// `adaptool import MODEL`: a model folder or `.safetensors` file of any architecture → a v2
/// checkpoint holding every tensor with its name, dtype, shape and bytes unchanged, the shard each
/// came from, `config.json`'s `model_type` as `architecture`, the folder's other small files and
/// the source's safetensors metadata. Streamed: one tensor in memory at a time.
public enum ModelImport {
    /// What an import wrote.
    public struct Summary: Sendable {
        /// The checkpoint's `architecture`.
        public var architecture: String
        /// How many tensors it holds.
        public var tensorCount: Int
        /// Their total bytes.
        public var byteCount: Int
        /// The files attached beside the weights.
        public var attachedFiles: [String]
        /// The v2 model fingerprint.
        public var fingerprint: String
        /// Notes for the user, one line each.
        public var notes: [String]
    }

    /// Writes `source` to `output` as a v2 checkpoint (atomically: nothing appears on failure).
    public static func checkpoint(from source: ModelSource, to output: String, options: WriteOptions = WriteOptions()) throws(InteropError) -> Summary {
        let tensors = source.reader.tensors
        let total = tensors.reduce(0) { $0.addingReportingOverflow($1.byteCount).partialValue }
        let metadata = TensorCheckpointMetadata(architecture: source.architecture, provenance: StateDictConversion.provenance(source: source.path),
                                                safetensorsMetadata: source.safetensorsMetadata)
        let writer = try InteropError.wrapping { () throws(FormatError) in
            try TensorCheckpointWriter(path: output, metadata: metadata, options: options, reservingBytes: total)
        }
        try copyTensors(of: source, into: writer)
        for file in source.attachedFiles {
            let contents = try InteropError.wrapping { () throws(InputFileError) in
                try InputFile.contents(of: file.path, expected: "a file to keep beside the weights", limit: FormatV2.maxAttachedFileBytes)
            }
            try InteropError.wrapping { () throws(FormatError) in try writer.attachFile(named: file.name, contents: contents) }
        }
        let fingerprint = try InteropError.wrapping { () throws(FormatError) in try writer.commit() }
        return Summary(architecture: source.architecture, tensorCount: tensors.count, byteCount: total,
                       attachedFiles: source.attachedFiles.map(\.name), fingerprint: fingerprint, notes: source.notes)
    }

    /// Streams every tensor of `source` into `writer` on every core (``TensorCheckpointWriter/writeStreamed(_:read:)``),
    /// or, for a reader that cannot read ranges, one whole tensor at a time.
    private static func copyTensors(of source: ModelSource, into writer: TensorCheckpointWriter) throws(InteropError) {
        let tensors = source.reader.tensors
        guard let reader = source.reader as? any RangedTensorReader<InteropError> else {
            for info in tensors {
                let bytes = try source.reader.rawBytes(of: info.name)
                try InteropError.wrapping { () throws(FormatError) in
                    try bytes.withUnsafeBufferPointer { (buffer) throws(FormatError) in
                        try writer.write(info, bytes: UnsafeRawBufferPointer(buffer), digest: nil, shard: source.shard(of: info.name))
                    }
                }
            }
            return
        }
        // The writer throws FormatError; a read's own InteropError is kept (the first one, as
        // reads run on several threads) and thrown in place of the stand-in passed through it.
        let readFailure = FirstFailure<InteropError>()
        do throws(FormatError) {
            try writer.writeStreamed(tensors.map { .init(info: $0, shard: source.shard(of: $0.name)) }) { (index, offset, buffer) throws(FormatError) in
                do throws(InteropError) { try reader.readRawBytes(of: tensors[index].name, from: offset, into: buffer) } catch {
                    readFailure.record(error)
                    throw .io(path: source.path, problem: "cannot be read")
                }
            }
        } catch {
            throw readFailure.value ?? .format(error)
        }
    }
}
