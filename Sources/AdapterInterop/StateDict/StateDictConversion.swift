import AdapterCore

/// Converting between PyTorch state dicts in safetensors and adaptool checkpoints, one layer in
/// memory at a time.
public enum StateDictConversion {
    /// Imports the state dict in `file` as a checkpoint written atomically to `path`; returns its fingerprint.
    @discardableResult
    public static func importCheckpoint(from file: SafetensorsFile, to path: String, activation: String = "relu",
                                        options: WriteOptions = WriteOptions()) throws(InteropError) -> String {
        let layout = try StateDictLayout(of: file)
        var metadata = layout.metadata
        metadata.activation = activation
        metadata.provenance = provenance(source: file.path)
        let writer = try InteropError.wrapping { () throws(FormatError) in
            try CheckpointWriter(path: path, layerNames: layout.layers.map(\.name), metadata: metadata, options: options,
                                 layerShapes: layout.layers.map { ($0.out, $0.in) })
        }
        for entry in layout.layers {
            let layer = try readLayer(entry, from: file)
            try InteropError.wrapping { () throws(FormatError) in try writer.append(layer) }
        }
        return try InteropError.wrapping { () throws(FormatError) in try writer.finish() }
    }

    /// Reads the state dict in `file` into memory as a checkpoint.
    public static func checkpoint(from file: SafetensorsFile) throws(InteropError) -> Checkpoint {
        let layout = try StateDictLayout(of: file)
        var layers: [Layer] = []
        for entry in layout.layers { layers.append(try readLayer(entry, from: file)) }
        return Checkpoint(layers: layers, metadata: layout.metadata)
    }

    private static func readLayer(_ entry: StateDictLayout.Entry, from file: SafetensorsFile) throws(InteropError) -> Layer {
        let weight = Matrix(rows: entry.out, columns: entry.in, values: try file.finiteFloats(entry.weight))
        let bias = try entry.bias.map { info throws(InteropError) in try file.finiteFloats(info) } ?? [Float](repeating: 0, count: entry.out)
        return Layer(name: entry.name, weight: weight, bias: bias)
    }

    /// Exports the checkpoint at `source` as a safetensors state dict at `path` (`<layer>.weight`,
    /// `<layer>.bias`), stored as `dtype`, with adaptool metadata recording order and attributes.
    public static func exportCheckpoint(at source: String, to path: String, dtype: SafetensorsDType = .f32,
                                        options: WriteOptions = WriteOptions()) throws(InteropError) {
        let checkpoint = try InteropError.wrapping { () throws(FormatError) in try CheckpointFile(path: source) }
        var entries: [SafetensorsWriter.Entry] = []
        for shape in checkpoint.layerShapes {
            entries.append(.init(name: shape.name + ".weight", dtype: dtype, shape: [shape.out, shape.in]))
            entries.append(.init(name: shape.name + ".bias", dtype: dtype, shape: [shape.out]))
        }
        let metadata = [
            "format": "pt",
            StateDictLayout.MetadataKey.layerNames: JSONValue.array(checkpoint.layerNames.map { .string($0) }).serialized,
            StateDictLayout.MetadataKey.fingerprint: checkpoint.storedFingerprint,
            StateDictLayout.MetadataKey.attributes: StateDictLayout.attributesJSON(checkpoint.metadata),
        ]
        let writer = try SafetensorsWriter(path: path, entries: entries, metadata: metadata, options: options)
        // One weight buffer serves every layer of the same size (no fresh pages to fault in per layer).
        var spare: [Float] = []
        for name in checkpoint.layerNames {
            let layer = try InteropError.wrapping { () throws(FormatError) in try checkpoint.readLayer(name, reusing: &spare) }
            try writer.write(name + ".weight", values: layer.weight.values)
            try writer.write(name + ".bias", values: layer.bias)
            spare = layer.weight.values
        }
        try writer.finish()
    }

    /// Whether `file` is a state dict the v1 MLP import takes: its tensors fit ``StateDictLayout``,
    /// or it carries adaptool's own export metadata (whose errors the v1 import then reports).
    public static func fitsMLPLayout(_ file: SafetensorsFile) -> Bool {
        if file.metadata.keys.contains(where: { $0.hasPrefix("adaptool.") }) { return true }
        return (try? StateDictLayout(of: file)) != nil
    }

    /// The provenance JSON recorded on import.
    static func provenance(source: String, extra: [(key: String, value: JSONValue)] = []) -> String {
        JSONValue.object([("tool", .string(FormatV1.toolVersion)), ("operation", .string("import")),
                          ("source", .string(source))] + extra).serialized
    }
}
