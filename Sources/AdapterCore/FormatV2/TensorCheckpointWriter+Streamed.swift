extension TensorCheckpointWriter {
    /// A tensor to stream in with ``writeStreamed(_:read:)``.
    public struct StreamedTensor: Sendable {
        /// Its name, dtype and shape.
        public var info: TensorInfo
        /// The source shard file it came from, if any.
        public var shard: String?

        /// A tensor of `info` from `shard`.
        public init(info: TensorInfo, shard: String?) {
            self.info = info
            self.shard = shard
        }
    }

    /// Writes `tensors` (in this stored order) whose bytes `read(index, offset, buffer)` supplies
    /// piece by piece: `buffer` is to be filled with tensor `index`'s stored bytes from byte
    /// `offset`. Every tensor is hashed as it is copied; the result is the file ``write(_:bytes:digest:shard:)``
    /// would give for each in turn (same tensors, digests and fingerprint).
    ///
    /// An uncompressed file is written on every core at once (``ParallelTensorJobs``): the datasets
    /// are created first with their space allocated, then each worker reads, hashes and writes
    /// (`pwrite` at the dataset's offset, outside HDF5) whole tensors through its own 1 MiB buffer,
    /// so `read` is called from several threads at once and must be safe for that; memory stays
    /// at one buffer per core. A compressed file goes through HDF5 one tensor at a time.
    public func writeStreamed(_ tensors: [StreamedTensor],
                              read: (_ index: Int, _ offset: Int, _ buffer: UnsafeMutableRawBufferPointer) throws(FormatError) -> Void) throws(FormatError) {
        var names = Set<String>()
        for tensor in tensors {
            try check(tensor.info, byteCount: tensor.info.byteCount, digest: nil)
            guard names.insert(tensor.info.name).inserted else {
                throw .invalidTensor(path: path, tensor: tensor.info.name, problem: "written twice")
            }
        }
        guard compressionLevel == nil, let descriptor = file?.dataDescriptor else {
            return try writeOneByOne(tensors, read: read)
        }
        let first = Int64(digests.count)
        let offsets = try output.writing { () throws(HDF5Error) in
            try tensors.enumerated().map { (position, tensor) throws(HDF5Error) -> Int? in
                let dataset = try createDataset(tensor.info, order: first + Int64(position), shard: tensor.shard, preallocated: true)
                return tensor.info.byteCount == 0 ? 0 : try dataset.contiguousDataOffset()
            }
        }
        let digests = DigestSlots(count: tensors.count)
        let turns = WriteTurns()
        try ParallelTensorJobs.run(sizes: tensors.map(\.info.byteCount)) { (index, buffer) throws(FormatError) in
            let info = tensors[index].info
            guard let start = offsets[index] else {
                throw .io(path: path, problem: "HDF5 allocated no contiguous space for tensor \"\(info.name)\"")
            }
            var digest = TensorDigest(info)
            try ParallelTensorJobs.stream(count: info.byteCount, through: buffer, read: { (piece, offset) throws(FormatError) in try read(index, offset, piece) }) {
                (piece, offset) throws(FormatError) in
                digest.update(piece)
                if let problem = turns.write(piece, to: descriptor, at: start + offset) {
                    throw .io(path: path, problem: "cannot write tensor \"\(info.name)\": \(problem)")
                }
            }
            digests.store(digest.finalize(), at: index)
        }
        for (tensor, digest) in zip(tensors, digests.values) {
            try output.writing { () throws(HDF5Error) in
                try tensorsGroup.openDataset(TensorNameEscaping.escape(tensor.info.name)).setAttribute("sha256", .string(digest))
            }
            tensorNames.insert(tensor.info.name)
            self.digests.append((tensor.info.name, digest))
        }
    }

    /// The compressed path: each tensor read whole into one reused buffer, then written.
    private func writeOneByOne(_ tensors: [StreamedTensor],
                               read: (Int, Int, UnsafeMutableRawBufferPointer) throws(FormatError) -> Void) throws(FormatError) {
        let largest = tensors.max { $0.info.byteCount < $1.info.byteCount }
        if let largest, let refusal = MemoryBudget.refusal(count: largest.info.byteCount, itemBytes: 1, for: "tensor \"\(largest.info.name)\"") {
            throw .io(path: path, problem: refusal)
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, largest?.info.byteCount ?? 0), alignment: 64)
        defer { buffer.deallocate() }
        for (index, tensor) in tensors.enumerated() {
            let bytes = UnsafeMutableRawBufferPointer(rebasing: buffer[..<tensor.info.byteCount])
            if !bytes.isEmpty { try read(index, 0, bytes) }
            try write(tensor.info, bytes: UnsafeRawBufferPointer(bytes), digest: nil, shard: tensor.shard)
        }
    }
}
