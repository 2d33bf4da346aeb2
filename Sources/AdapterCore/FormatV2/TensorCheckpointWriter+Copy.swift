extension TensorCheckpointWriter {
    /// Copies tensor `name` of `source` byte for byte, with its stored digest (not hashed again)
    /// and its shard: what a merge does with every tensor it leaves untouched.
    public func copy(_ name: String, from source: TensorCheckpointFile) throws(FormatError) {
        guard let info = source.info(named: name) else { throw .invalidTensor(path: source.path, tensor: name, problem: "not in this checkpoint") }
        let bytes = try source.rawBytes(of: name)
        try bytes.withUnsafeBufferPointer { buffer throws(FormatError) in
            try write(info, bytes: UnsafeRawBufferPointer(buffer), digest: source.digest(of: name), shard: source.shard(of: name))
        }
    }
}
