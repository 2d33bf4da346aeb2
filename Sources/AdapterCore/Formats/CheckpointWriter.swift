/// Writes a checkpoint layer by layer (so a merge holds one layer at a time), computing the
/// fingerprint as it goes; the file appears at its destination only when ``finish()`` succeeds.
public final class CheckpointWriter {
    private let output: AtomicOutput
    /// Open until ``finish()``, which must close it before the rename so the file is complete.
    private var file: HDF5File?
    private let layerNames: [String]
    private let compressionLevel: Int?
    private var hasher = FingerprintHasher()
    private var written = 0
    private let metadata: CheckpointMetadata
    /// The first layer's inputs and the last written layer's outputs, for the final metadata check.
    private var inputs: Int?, outputs: Int?

    /// Starts a checkpoint at `path` whose layers will be `layerNames`, appended in that order.
    /// `layerShapes` (weight rows and columns per layer), when known, let an uncompressed file
    /// reserve its disk space up front, so a full disk is an early, clean error.
    public init(path: String, layerNames: [String], metadata: CheckpointMetadata, options: WriteOptions = WriteOptions(),
                layerShapes: [(out: Int, in: Int)] = []) throws(FormatError) {
        if let problem = V1Rules.layerNamesProblem(layerNames) {
            throw .invalidAttribute(path: path, object: "the root group", name: "layer_names", problem: problem)
        }
        // What the reader would refuse is refused before anything is written.
        try metadata.validate(inputs: nil, outputs: nil, path: path)
        self.metadata = metadata
        let output = try AtomicOutput(destination: path, overwrite: options.overwrite)
        self.output = output
        let (file, root) = try output.writing { () throws(HDF5Error) in
            let reserve = options.compressionLevel == nil ? Self.dataBytes(layerShapes) : 0
            let file = try HDF5File.create(output.temporaryPath, reservingBytes: reserve)
            let root = try file.rootGroup()
            _ = try root.createGroup(FormatV1.layersGroup)
            return (file, root)
        }
        self.file = file
        self.layerNames = layerNames
        self.compressionLevel = options.compressionLevel
        let attributes = V1AttributeWriter(holder: root)
        try attributes.set("format", .string(FormatV1.checkpointFormat))
        try attributes.set("format_version", .integer(FormatV1.version))
        try attributes.set("architecture", .string(metadata.architecture))
        try attributes.set("activation", .string(metadata.activation))
        try attributes.set("layer_names", .strings(layerNames))
        try attributes.set("input_shape", metadata.inputShape.map { .integers($0.map(Int64.init)) })
        try attributes.set("normalization_mean", metadata.normalizationMean.map { .doubles($0) })
        try attributes.set("normalization_std", metadata.normalizationStd.map { .doubles($0) })
        try attributes.set("class_names", metadata.classNames.map { .strings($0) })
        try attributes.set("created_by", .string(metadata.createdBy ?? FormatV1.toolVersion))
        try attributes.set("provenance", metadata.provenance.map { .string($0) })
    }

    /// Writes the next layer; layers must come in `layerNames` order.
    public func append(_ layer: Layer) throws(FormatError) {
        guard written < layerNames.count, layer.name == layerNames[written] else {
            let expected = written < layerNames.count ? "\"\(layerNames[written])\"" : "no more layers"
            throw .invalidLayer(path: output.destination, layer: layer.name, problem: "written out of order; expected \(expected)")
        }
        guard let file else { throw .io(path: output.destination, problem: "already finished") }
        // Writing and hashing only read the layer, so they run side by side: on large layers
        // SHA-256 costs about as much as the write itself (Benchmarks/bench-merge.sh).
        let write = { () throws(FormatError) in
            try self.output.writing { () throws(HDF5Error) in
                let group = try file.rootGroup().openGroup(FormatV1.layersGroup).createGroup(layer.name)
                let weight = try group.createDataset("weight", shape: layer.weight.shape, compressionLevel: self.compressionLevel)
                try self.writeInSlabs(layer.weight, to: weight)
                let bias = try group.createDataset("bias", shape: [layer.bias.count], compressionLevel: self.compressionLevel)
                try layer.bias.withUnsafeBufferPointer { buffer throws(HDF5Error) in try bias.write(buffer) }
            }
        }
        if layer.weight.values.count < Self.concurrentHashThreshold {
            try write()
            hasher.update(name: layer.name, weight: layer.weight, bias: layer.bias)
        } else {
            var hasher = self.hasher
            let failure = ConcurrentPair.run(first: write, second: { hasher.update(name: layer.name, weight: layer.weight, bias: layer.bias) })
            if let failure { throw failure }
            self.hasher = hasher
        }
        if written == 0 { inputs = layer.inputSize }
        outputs = layer.outputSize
        written += 1
    }

    /// Bytes of float32 weights and biases in layers of these shapes (saturating: a reservation
    /// that cannot be represented is too large for any disk and fails as such).
    static func dataBytes(_ shapes: [(out: Int, in: Int)]) -> Int {
        shapes.reduce(0) { total, shape in
            let (weights, overflow) = shape.out.multipliedReportingOverflow(by: shape.in)
            let (layer, overflow2) = (weights &+ shape.out).multipliedReportingOverflow(by: MemoryLayout<Float>.size)
            let (sum, overflow3) = total.addingReportingOverflow(layer)
            return overflow || overflow2 || overflow3 ? Int.max : sum
        }
    }

    /// Layers with fewer weights than this (1 MiB of float32) are written and hashed on one thread:
    /// below it, handing work to a second thread costs more than it saves.
    static let concurrentHashThreshold = 1 << 18

    /// Rows per write call: about 1 MiB. One 64 MiB write(2) is several times slower than 64 small
    /// ones on Linux (the kernel's copy into the page cache falls out of the CPU caches), and this is
    /// the hot path of a streaming merge (Benchmarks/bench-merge.sh).
    static func slabRows(columns: Int) -> Int { max(1, (1 << 18) / max(1, columns)) }

    /// Compressed (chunked) datasets are written whole, so no chunk is compressed twice.
    private func writeInSlabs(_ matrix: Matrix, to dataset: HDF5Dataset) throws(HDF5Error) {
        if matrix.rows == 0 || matrix.columns == 0 || compressionLevel != nil {
            try matrix.values.withUnsafeBufferPointer { buffer throws(HDF5Error) in try dataset.write(buffer) }
            return
        }
        let step = Self.slabRows(columns: matrix.columns)
        try matrix.values.withUnsafeBufferPointer { buffer throws(HDF5Error) in
            for start in stride(from: 0, to: matrix.rows, by: step) {
                let count = min(step, matrix.rows - start)
                try dataset.writeRows(start, count: count, from: UnsafeBufferPointer(rebasing: buffer[start * matrix.columns ..< (start + count) * matrix.columns]))
            }
        }
    }

    /// Writes the fingerprint, closes the file and moves it into place. Returns the fingerprint.
    @discardableResult
    public func finish() throws(FormatError) -> String {
        guard written == layerNames.count else {
            throw .invalidLayer(path: output.destination, layer: layerNames[written], problem: "never written; a checkpoint needs every listed layer")
        }
        guard let file else { throw .io(path: output.destination, problem: "already finished") }
        try metadata.validate(inputs: inputs, outputs: outputs, path: output.destination)
        let fingerprint = hasher.finalize()
        let root = try output.writing { () throws(HDF5Error) in try file.rootGroup() }
        try V1AttributeWriter(holder: root).set("fingerprint", .string(fingerprint))
        try output.writing { () throws(HDF5Error) in try file.close() }
        self.file = nil
        try output.commit()
        return fingerprint
    }
}

extension Checkpoint {
    /// Writes the checkpoint atomically to `path` and returns its fingerprint.
    @discardableResult
    public func write(to path: String, options: WriteOptions = WriteOptions()) throws(FormatError) -> String {
        let writer = try CheckpointWriter(path: path, layerNames: layerNames, metadata: metadata, options: options,
                                          layerShapes: layers.map { ($0.weight.rows, $0.weight.columns) })
        for layer in layers { try writer.append(layer) }
        return try writer.finish()
    }
}
