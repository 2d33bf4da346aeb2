/// A v1 checkpoint seen as named tensors, so every command that works on tensors (diff, import
/// to v2, inspect tables) takes v1 files too: layer `fc1` is `fc1.weight` (float32 `[out, in]`) and
/// `fc1.bias` (float32 `[out]`), in layer order. v1 values are float32 by definition (other stored
/// widths are converted on read, as the v1 reader always did).
extension CheckpointFile: TensorReader {
    /// What reading can throw.
    public typealias Failure = FormatError

    /// `<layer>.weight` and `<layer>.bias` for every layer, in forward order.
    public var tensors: [TensorInfo] {
        layerShapes.flatMap { layer in
            [TensorInfo(name: layer.name + Self.weightSuffix, dtype: .float32, shape: [layer.out, layer.in]),
             TensorInfo(name: layer.name + Self.biasSuffix, dtype: .float32, shape: [layer.out])].compactMap { $0 }
        }
    }

    /// The suffix of a layer's weight tensor.
    public static let weightSuffix = ".weight"
    /// The suffix of a layer's bias tensor.
    public static let biasSuffix = ".bias"

    /// The layer and part (`weight` true, `bias` false) a tensor name refers to.
    private func part(of name: String) -> (layer: String, isWeight: Bool)? {
        for (suffix, isWeight) in [(Self.weightSuffix, true), (Self.biasSuffix, false)] where name.hasSuffix(suffix) {
            let layer = String(name.dropLast(suffix.count))
            if layerShape(layer) != nil { return (layer, isWeight) }
        }
        return nil
    }

    /// The tensor called `name`, if it is a layer's weight or bias.
    public func info(named name: String) -> TensorInfo? {
        guard let (layer, isWeight) = part(of: name), let shape = layerShape(layer) else { return nil }
        return TensorInfo(name: name, dtype: .float32, shape: isWeight ? shape : [shape[0]])
    }

    /// The float32 values, little-endian.
    public func rawBytes(of name: String) throws(FormatError) -> [UInt8] {
        let values = try floatValues(of: name)
        #if _endian(little)
        return values.withUnsafeBytes(Array.init)
        #else
        return values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }
        #endif
    }

    /// The values widened to float64.
    public func float64Values(of name: String) throws(FormatError) -> [Double] {
        try floatValues(of: name).map(Double.init)
    }

    private func floatValues(of name: String) throws(FormatError) -> [Float] {
        guard let (layer, isWeight) = part(of: name) else {
            throw .invalidLayer(path: path, layer: name, problem: "no such tensor; a v1 checkpoint has <layer>.weight and <layer>.bias for layers \(layerNames.joined(separator: ", "))")
        }
        let read = try readLayer(layer)
        return isWeight ? read.weight.values : read.bias
    }
}
