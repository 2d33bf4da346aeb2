import Foundation

/// v1 files rewritten as v2, losslessly: a checkpoint's layer `fc1` becomes tensors `fc1.weight`
/// and `fc1.bias` (float32) under architecture `"mlp"` with its activation, layer order, input
/// shape, normalisation and class names; an adapter's layers become targets `<layer>.weight` with
/// method `lora`, `dora` (output rows) or `dora_column` (v1's `norm_axis = "input"`). One tensor in
/// memory at a time.
public enum FormatUpgrade {
    /// The v2 metadata of a v1 checkpoint.
    public static func metadata(of file: CheckpointFile) -> TensorCheckpointMetadata {
        let v1 = file.metadata
        var metadata = TensorCheckpointMetadata(architecture: FormatV2.mlpArchitecture, provenance: v1.provenance,
                                                activation: v1.activation, layerOrder: file.layerNames)
        (metadata.inputShape, metadata.normalizationMean, metadata.normalizationStd, metadata.classNames) =
            (v1.inputShape, v1.normalizationMean, v1.normalizationStd, v1.classNames)
        return metadata
    }

    /// Writes the v1 checkpoint at `source` as a v2 checkpoint at `destination`; returns the v2
    /// fingerprint.
    @discardableResult
    public static func checkpoint(from source: String, to destination: String, options: WriteOptions = WriteOptions()) throws(FormatError) -> String {
        let file = try CheckpointFile(path: source)
        let writer = try TensorCheckpointWriter(path: destination, metadata: metadata(of: file), options: options,
                                                reservingBytes: file.tensors.reduce(0) { $0 + $1.byteCount })
        for info in file.tensors {
            try write(info, try file.rawBytes(of: info.name), to: writer)
        }
        return try writer.commit()
    }

    /// The v2 fingerprint the v1 checkpoint `file` has once upgraded (what an upgraded adapter
    /// records as its base), computed without writing anything.
    public static func v2Fingerprint(of file: CheckpointFile) throws(FormatError) -> String {
        var digests: [(name: String, digest: String)] = []
        for info in file.tensors {
            let bytes = try file.rawBytes(of: info.name)
            digests.append((info.name, bytes.withUnsafeBytes { TensorDigest.digest(of: info, bytes: $0) }))
        }
        guard let fingerprint = TensorDigest.modelFingerprint(digests) else {
            throw .io(path: file.path, problem: "has two tensors with the same name, so it has no v2 fingerprint")
        }
        return fingerprint
    }

    /// Writes the v1 adapter at `source` as a v2 adapter at `destination`. With `base` (the v1
    /// checkpoint it was trained on, checked against the adapter's `base_fingerprint`), the v2
    /// adapter records the base's v2 fingerprint; without, it records none.
    public static func adapter(from source: String, base: CheckpointFile?, to destination: String,
                               options: WriteOptions = WriteOptions()) throws(FormatError) {
        let adapter = try Adapter.read(from: source)
        var baseFingerprint: String?
        if let base {
            guard base.storedFingerprint == adapter.baseFingerprint else {
                throw .invalidAttribute(path: source, object: "the root group", name: "base_fingerprint",
                                        problem: "is \(adapter.baseFingerprint), but the base \(base.path) has fingerprint \(base.storedFingerprint); give the checkpoint the adapter was trained on")
            }
            baseFingerprint = try v2Fingerprint(of: base)
        }
        try write(adapter, baseFingerprint: baseFingerprint, to: destination, options: options)
    }

    /// Writes the in-memory `adapter` (an MLP's, as the training engine holds it) as a v2 adapter
    /// recording `baseFingerprint` (a v2 model fingerprint).
    public static func write(_ adapter: Adapter, baseFingerprint: String?, to destination: String,
                             options: WriteOptions = WriteOptions()) throws(FormatError) {
        let view = try V1AdapterFactors(adapter, path: destination)
        let writer = try TensorAdapterWriter(path: destination, method: view.manifest.method, baseFingerprint: baseFingerprint,
                                             provenance: adapter.provenance, options: options)
        for target in view.manifest.targets {
            var values: [String: [Double]] = [:]
            for role in target.factors.keys { values[role] = try view.factorValues(tensor: target.tensor, role: role) }
            try writer.write(target, factorValues: values)
        }
        try writer.commit()
    }

    /// Writes the in-memory MLP `checkpoint` as a v2 checkpoint; returns its v2 fingerprint.
    @discardableResult
    public static func write(_ checkpoint: Checkpoint, to destination: String, options: WriteOptions = WriteOptions()) throws(FormatError) -> String {
        let v1 = checkpoint.metadata
        var metadata = TensorCheckpointMetadata(architecture: FormatV2.mlpArchitecture, createdBy: v1.createdBy, provenance: v1.provenance,
                                                activation: v1.activation, layerOrder: checkpoint.layerNames)
        (metadata.inputShape, metadata.normalizationMean, metadata.normalizationStd, metadata.classNames) =
            (v1.inputShape, v1.normalizationMean, v1.normalizationStd, v1.classNames)
        let writer = try TensorCheckpointWriter(path: destination, metadata: metadata, options: options,
                                                reservingBytes: checkpoint.parameterCount * TensorDType.float32.byteWidth)
        for layer in checkpoint.layers {
            for (suffix, shape, values) in [(CheckpointFile.weightSuffix, layer.weight.shape, layer.weight.values),
                                            (CheckpointFile.biasSuffix, [layer.bias.count], layer.bias)] {
                guard let info = TensorInfo(name: layer.name + suffix, dtype: .float32, shape: shape) else {
                    throw .invalidLayer(path: destination, layer: layer.name, problem: "has a shape too large to describe")
                }
                let bytes = values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
                try write(info, bytes, to: writer)
            }
        }
        return try writer.commit()
    }

    /// One tensor through `writer`, keeping its typed error.
    private static func write(_ info: TensorInfo, _ bytes: [UInt8], to writer: TensorCheckpointWriter) throws(FormatError) {
        var failure: FormatError?
        bytes.withUnsafeBytes { raw in
            do throws(FormatError) { try writer.write(info, bytes: raw, digest: nil) } catch { failure = error }
        }
        if let failure { throw failure }
    }
}
