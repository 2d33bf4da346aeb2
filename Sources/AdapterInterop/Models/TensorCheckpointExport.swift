import AdapterCore
import Foundation

/// `adaptool export CHECKPOINT.h5 -o OUT` for a format v2 checkpoint: every tensor copied byte for
/// byte (same names, dtypes, shapes and order) into a Hugging Face model folder — sharded as the
/// `shard` attributes recorded, with the index, the source's `__metadata__`, and config.json and
/// the other attached files restored — or, when OUT ends in `.safetensors`, into that one file.
public enum TensorCheckpointExport {
    /// What an export wrote.
    public enum Kind: String, Sendable {
        /// A model folder.
        case modelFolder = "model folder"
        /// One safetensors file.
        case safetensorsFile = "safetensors file"
    }

    /// The `__metadata__` transformers writes, used when the checkpoint recorded none.
    static let defaultMetadata = ["format": "pt"]

    /// Exports `checkpoint` to `destination`; notes for the user are returned with the kind.
    public static func run(_ checkpoint: TensorCheckpointFile, to destination: String,
                           options: WriteOptions = WriteOptions()) throws(InteropError) -> (kind: Kind, notes: [String]) {
        let metadata = try safetensorsMetadata(of: checkpoint)
        if destination.hasSuffix(".safetensors") {
            let writer = try SafetensorsWriter(path: destination, tensors: checkpoint.tensors, metadata: metadata, options: options)
            try copyTensors(of: checkpoint, into: writer)
            try writer.finish()
            let dropped = checkpoint.attachedFiles.isEmpty ? [] :
                ["note: \(checkpoint.attachedFiles.joined(separator: ", ")) not written: a single .safetensors file holds tensors only; export to a folder to restore them"]
            return (.safetensorsFile, dropped)
        }
        var files: [ModelFolderLayout.File] = []
        for name in checkpoint.attachedFiles {
            let bytes = try InteropError.wrapping { () throws(FormatError) in try checkpoint.attachedFile(named: name) }
            files.append(.init(name: name, contents: .bytes(bytes)))
        }
        let layout = ModelFolderLayout(tensors: checkpoint.tensors, shardName: checkpoint.shard(of:), metadata: metadata, files: files)
        let writer = try ModelFolderWriter(path: destination, layout: layout, options: options)
        try copyTensors(of: checkpoint, into: writer)
        try writer.finish()
        return (.modelFolder, [])
    }

    /// Copies every tensor's stored bytes: those stored contiguously (all of an uncompressed
    /// checkpoint) straight from the file's bytes to their places in the output, on every core
    /// (``ParallelTensorJobs``: 1 MiB `pread`/`pwrite` steps per worker, no whole tensor in memory);
    /// the rest (compressed or big-endian) read through HDF5 one tensor at a time, in stored order.
    private static func copyTensors(of checkpoint: TensorCheckpointFile, into writer: some PlacedTensorWriter) throws(InteropError) {
        let offsets = try InteropError.wrapping { () throws(FormatError) in try checkpoint.storedByteOffsets() }
        for (info, offset) in zip(checkpoint.tensors, offsets) where offset == nil {
            let bytes = try InteropError.wrapping { () throws(FormatError) in try checkpoint.rawBytes(of: info.name) }
            try bytes.withUnsafeBufferPointer { (buffer) throws(InteropError) in try writer.write(info, bytes: UnsafeRawBufferPointer(buffer), digest: nil) }
        }
        let direct = zip(checkpoint.tensors, offsets).compactMap { info, offset in offset.map { (info: info, source: $0) } }
        let places = try direct.map { (tensor) throws(InteropError) in try writer.place(tensor.info) }
        let turns = WriteTurns()
        try ParallelTensorJobs.run(sizes: direct.map(\.info.byteCount)) { (index, buffer) throws(InteropError) in
            let (info, source) = direct[index]
            let (descriptor, start) = places[index]
            try ParallelTensorJobs.stream(count: info.byteCount, through: buffer, read: { (piece, offset) throws(InteropError) in
                try InteropError.wrapping { () throws(FormatError) in try checkpoint.readStoredBytes(into: piece, at: source + offset) }
            }) { (piece, offset) throws(InteropError) in
                if let problem = turns.write(piece, to: descriptor, at: start + offset) {
                    throw .format(.io(path: writer.destination, problem: "cannot write tensor \"\(info.name)\": \(problem)"))
                }
            }
        }
    }

    /// The source header's `__metadata__` the checkpoint recorded (a JSON object of strings), or
    /// transformers' `{"format": "pt"}` when it recorded none.
    static func safetensorsMetadata(of checkpoint: TensorCheckpointFile) throws(InteropError) -> [String: String] {
        guard let text = checkpoint.safetensorsMetadata else { return defaultMetadata }
        guard case .object(let members)? = try? JSONValue.parse(Array(text.utf8)) else {
            throw .badConfig(path: checkpoint.path, field: "safetensors_metadata", problem: "is not a JSON object; expected the source header's __metadata__")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case .string(let string) = value else {
                throw .badConfig(path: checkpoint.path, field: "safetensors_metadata", problem: "holds \"\(key)\": \(value.typeName); safetensors metadata values are strings")
            }
            metadata[key] = string
        }
        return metadata
    }
}
