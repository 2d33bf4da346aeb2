import AdapterCore
import Foundation

/// Writes a Hugging Face model folder (safetensors shards, `model.safetensors.index.json` when
/// sharded, config.json and the other files copied byte for byte) the way every adaptool output
/// is written: built in a hidden temporary folder beside the destination and renamed into place by
/// ``finish()``, so readers see no folder or the complete one. An existing folder is never
/// replaced (with or without `overwrite`, as for a PEFT export); a failure, a full disk or an
/// interrupt leaves nothing behind (the temporary folder is removed when the writer is dropped
/// unfinished, or by the CLI's interrupt handler).
///
/// Every shard is created and its space reserved when the writer opens, so a full disk is one
/// early error; tensors then stream in one at a time (``TensorWriter``), in any order.
public final class ModelFolderWriter: PlacedTensorWriter {
    /// What writing throws.
    public typealias Failure = InteropError

    /// The destination folder.
    public let path: String
    /// What is being written.
    public let layout: ModelFolderLayout
    private let output: AtomicOutput
    private var writers: [SafetensorsWriter]
    private let shardOfTensor: [String: Int]
    private var remaining: [Int]
    /// Shards whose last tensor was placed (``place(_:)``) but that are still open for its bytes.
    private var placedComplete: Set<Int> = []
    /// Shards with at least one placed tensor.
    private var placedShards: Set<Int> = []
    private var written: Set<String> = []

    /// Checks the destination, creates the temporary folder, copies the non-weight files, writes
    /// the index and opens every shard (headers written, space reserved).
    public init(path: String, layout: ModelFolderLayout, options: WriteOptions = WriteOptions()) throws(InteropError) {
        try layout.validate(path: path)
        let output = try InteropError.wrapping { () throws(FormatError) in try AtomicOutput(destination: path, overwrite: options.overwrite) }
        (self.path, self.layout, self.output) = (path, layout, output)
        do {
            try FileManager.default.createDirectory(atPath: output.temporaryPath, withIntermediateDirectories: false)
        } catch {
            throw .format(.io(path: path, problem: "cannot create the output folder: \(error.localizedDescription)"))
        }
        for file in layout.files { try Self.copy(file, into: output.temporaryPath, destination: path) }
        if layout.writesIndex {
            try Self.writeFile(Data(layout.indexDocument.prettyPrinted.utf8), to: output.temporaryPath + "/" + ModelFolderLayout.indexFileName, destination: path)
        }
        var shardOfTensor: [String: Int] = [:]
        writers = []
        for (number, shard) in layout.shards.enumerated() {
            for tensor in shard.tensors { shardOfTensor[tensor.name] = number }
            writers.append(try Self.naming(path, in: output) { () throws(InteropError) in
                try SafetensorsWriter(path: output.temporaryPath + "/" + shard.fileName, tensors: shard.tensors, metadata: shard.metadata)
            })
        }
        self.shardOfTensor = shardOfTensor
        remaining = layout.shards.map(\.tensors.count)
        // A shard with no tensors (an empty model) is complete as soon as its header is written.
        for (writer, shard) in zip(writers, layout.shards) where shard.tensors.isEmpty {
            try Self.naming(path, in: output) { () throws(InteropError) in try writer.finish() }
        }
    }

    /// Writes one tensor of the layout into its shard; a shard is closed as soon as its last
    /// tensor is in.
    public func write(_ info: TensorInfo, bytes: UnsafeRawBufferPointer, digest: String?) throws(InteropError) {
        guard let shard = shardOfTensor[info.name] else {
            throw .malformedSafetensors(path: path, problem: "tensor \"\(info.name)\" is not part of the folder's layout")
        }
        try Self.naming(path, in: output) { () throws(InteropError) in
            try writers[shard].write(info, bytes: bytes, digest: digest)
            remaining[shard] -= 1
            written.insert(info.name)
            // A shard holding placed tensors stays open for their bytes until finish().
            if remaining[shard] == 0 {
                if placedShards.contains(shard) { placedComplete.insert(shard) } else { try writers[shard].finish() }
            }
        }
    }

    /// Checks every tensor was written and moves the folder into place.
    public func finish() throws(InteropError) {
        for shard in placedComplete.sorted() {
            try Self.naming(path, in: output) { () throws(InteropError) in try writers[shard].finish() }
        }
        placedComplete = []
        for (shard, count) in zip(layout.shards, remaining) where count > 0 {
            let missing = shard.tensors.first { !written.contains($0.name) }?.name ?? shard.fileName
            throw .missingTensor(path: path, tensor: missing, expected: "all \(shard.tensors.count) tensors of \(shard.fileName) to be written (\(count) missing)")
        }
        try InteropError.wrapping { () throws(FormatError) in try output.commit() }
    }

    /// The destination, named in errors.
    public var destination: String { path }

    /// Claims tensor `info`'s place in its shard (``PlacedTensorWriter``); the shard stays open
    /// for its bytes until ``finish()``.
    public func place(_ info: TensorInfo) throws(InteropError) -> (descriptor: Int32, offset: Int) {
        guard let shard = shardOfTensor[info.name] else {
            throw .malformedSafetensors(path: path, problem: "tensor \"\(info.name)\" is not part of the folder's layout")
        }
        return try Self.naming(path, in: output) { () throws(InteropError) in
            let place = try writers[shard].place(info)
            placedShards.insert(shard)
            remaining[shard] -= 1
            written.insert(info.name)
            if remaining[shard] == 0 { placedComplete.insert(shard) }
            return place
        }
    }

    /// Runs `body`, naming a file inside the temporary folder relative to the destination in errors.
    private static func naming<T>(_ path: String, in output: AtomicOutput, _ body: () throws(InteropError) -> T) throws(InteropError) -> T {
        do { return try body() } catch {
            throw .format(.io(path: path, problem: output.withinDestination(String(describing: error))))
        }
    }

    /// Largest piece of a copied file in memory at once: big enough for few system calls, small
    /// next to any model.
    private static let copyChunkBytes = 4 << 20

    /// Copies `file` into `folder` byte for byte.
    private static func copy(_ file: ModelFolderLayout.File, into folder: String, destination: String) throws(InteropError) {
        let target = folder + "/" + file.name
        switch file.contents {
        case .bytes(let bytes):
            try writeFile(Data(bytes), to: target, destination: destination)
        case .file(let source):
            guard let input = FileHandle(forReadingAtPath: source) else {
                throw .format(.io(path: source, problem: "cannot be opened for reading (\(String(cString: strerror(errno))))"))
            }
            defer { try? input.close() }
            guard FileManager.default.createFile(atPath: target, contents: nil), let out = FileHandle(forWritingAtPath: target) else {
                throw .format(.io(path: destination, problem: "cannot create \(file.name)"))
            }
            defer { try? out.close() }
            while true {
                let chunk: Data
                do { chunk = try input.read(upToCount: copyChunkBytes) ?? Data() } catch {
                    throw .format(.io(path: source, problem: "cannot be read (\(error.localizedDescription))"))
                }
                if chunk.isEmpty { break }
                do { try out.write(contentsOf: chunk) } catch {
                    throw .format(.io(path: destination, problem: "cannot write \(file.name): \(error.localizedDescription)"))
                }
            }
        }
    }

    /// Writes `bytes` as a new file at `target` (inside the temporary folder).
    private static func writeFile(_ bytes: Data, to target: String, destination: String) throws(InteropError) {
        do { try bytes.write(to: URL(fileURLWithPath: target), options: .withoutOverwriting) } catch {
            throw .format(.io(path: destination, problem: "cannot write \((target as NSString).lastPathComponent): \(error.localizedDescription)"))
        }
    }
}
