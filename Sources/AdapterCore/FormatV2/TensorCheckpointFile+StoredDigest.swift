extension TensorCheckpointFile {
    /// The digest stored with the tensor (``TensorReader/storedDigest(of:)``): a merge passes it
    /// on for every tensor it does not change, and diff skips tensors whose digests match.
    public func storedDigest(of name: String) -> String? { digest(of: name) }
}
