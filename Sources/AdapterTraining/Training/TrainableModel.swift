import AdapterCore

/// A model the engine can run and train: a checkpoint whose weights are trained (base training,
/// full fine-tuning) or frozen (evaluation), or a frozen checkpoint with a LoRA/DoRA adapter on
/// some of its layers, the adapter trained or frozen and applied unmerged.
public final class TrainableModel {
    let network: Network
    /// The checkpoint the model started from (its metadata is carried to outputs).
    public let base: Checkpoint
    private let adapterTemplate: Adapter?

    /// Runs `checkpoint` as is; trains all its weights and biases when `trainable`.
    public init(checkpoint: Checkpoint, trainable: Bool) {
        base = checkpoint
        adapterTemplate = nil
        network = Network(layers: checkpoint.layers.map { DenseLayer($0, trainable: trainable) })
    }

    /// Runs `base` (frozen) with `adapter` applied unmerged; trains the adapter when `trainable`.
    ///
    /// `detachNorm` treats DoRA's ‖V‖ as a constant in the backward pass. The adapter's layers
    /// must exist in `base` with matching shapes (``AdapterMerge/validate`` checks this for files).
    public init(base: Checkpoint, adapter: Adapter, trainable: Bool, detachNorm: Bool = false) throws(TrainingError) {
        self.base = base
        adapterTemplate = adapter
        var layers: [any NetworkLayer] = []
        for layer in base.layers {
            guard let adapted = adapter.layer(named: layer.name) else {
                layers.append(DenseLayer(layer, trainable: false))
                continue
            }
            guard adapted.a.columns == layer.inputSize, adapted.b.rows == layer.outputSize, adapted.b.columns == adapted.rank else {
                throw .incompatibleModel(problem: "adapter layer \"\(layer.name)\" has B·A of [\(adapted.b.rows), \(adapted.a.columns)] but the base weight is [\(layer.outputSize), \(layer.inputSize)]")
            }
            switch (adapter.method, adapter.normAxis) {
            case (.dora, let axis?):
                let expected = axis == .output ? layer.outputSize : layer.inputSize
                guard adapted.magnitude?.count == expected else {
                    throw .incompatibleModel(problem: "adapter layer \"\(layer.name)\" needs \(expected) magnitudes for norm_axis \(axis.rawValue)")
                }
                layers.append(DoRALayer(base: layer, adapter: adapted, axis: axis, trainable: trainable, detachNorm: detachNorm))
            default:
                layers.append(LoRALayer(base: layer, adapter: adapted, trainable: trainable))
            }
        }
        let missing = adapter.targetLayers.filter { base.layer(named: $0) == nil }
        guard missing.isEmpty else {
            throw .incompatibleModel(problem: "the adapter targets \(missing.joined(separator: ", ")), which the base does not have (layers: \(base.layerNames.joined(separator: ", ")))")
        }
        network = Network(layers: layers)
    }

    /// Input features the first layer takes.
    public var inputSize: Int { network.inputSize }
    /// Number of outputs (classes).
    public var outputSize: Int { network.outputSize }
    /// Parameters the optimiser updates.
    public var trainableParameterCount: Int { network.trainableCount }

    /// The current weights as a checkpoint (the trained weights for base and full training; the
    /// frozen base when an adapter is applied).
    public var checkpoint: Checkpoint {
        guard adapterTemplate == nil else { return base }
        let layers = network.layers.compactMap { ($0 as? DenseLayer)?.layer }
        return Checkpoint(layers: layers, metadata: base.metadata)
    }

    /// The current adapter (nil when no adapter is applied).
    public var adapter: Adapter? {
        guard var adapter = adapterTemplate else { return nil }
        adapter.layers = network.layers.compactMap { layer in
            (layer as? LoRALayer)?.adapterLayer ?? (layer as? DoRALayer)?.adapterLayer
        }
        return adapter
    }

    /// Checks that the model takes CIFAR-10 images and has one output per class.
    public func checkFits(classCount: Int) throws(TrainingError) {
        guard inputSize == CIFAR10.imageBytes else {
            throw .incompatibleModel(problem: "the model's first layer takes \(inputSize) inputs; CIFAR-10 images have \(CIFAR10.imageBytes) (3×32×32)")
        }
        guard outputSize == classCount else {
            throw .incompatibleModel(problem: "the model has \(outputSize) outputs; the data has \(classCount) classes")
        }
    }
}
