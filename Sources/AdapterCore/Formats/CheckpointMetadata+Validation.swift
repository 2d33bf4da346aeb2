extension CheckpointMetadata {
    /// Checks the descriptive attributes the way a checkpoint is checked when it is read
    /// (spec/format.md §2): format v1's architecture and activation, positive `input_shape`
    /// dimensions whose product is the first layer's inputs, one class name per output of the last
    /// layer, and normalisation mean and std together, finite, one value per channel, std positive.
    ///
    /// The reader, the writer and `import` all call this, so a file adaptool writes is a file it
    /// reads. `inputs` (the first layer's) and `outputs` (the last layer's) are nil when not yet
    /// known; the checks that need them are skipped then. Errors name `path` and the attribute.
    package func validate(inputs: Int?, outputs: Int?, path: String) throws(FormatError) {
        func invalid(_ name: String, _ problem: String) -> FormatError {
            .invalidAttribute(path: path, object: "the root group", name: name, problem: problem)
        }
        guard architecture == "mlp" else { throw invalid("architecture", "is \"\(architecture)\"; format v1 defines only \"mlp\"") }
        guard activation == "relu" else { throw invalid("activation", "is \"\(activation)\"; format v1 defines only \"relu\"") }
        if let inputShape {
            let product = inputShape.saturatingProduct
            let positive = !inputShape.isEmpty && inputShape.allSatisfy { $0 >= 1 } && product < Int.max
            if let inputs, !positive || product != inputs {
                throw invalid("input_shape", "is \(inputShape) but the first layer takes \(inputs) inputs; expected positive dimensions whose product is \(inputs)")
            }
            guard positive else { throw invalid("input_shape", "is \(inputShape); expected positive dimensions whose product is the first layer's inputs") }
        }
        if let classNames, let outputs, classNames.count != outputs {
            throw invalid("class_names", "lists \(classNames.count) classes but the last layer has \(outputs) outputs")
        }
        try validateNormalization(invalid)
    }

    /// Mean and std come together, one finite value per channel, std positive.
    private func validateNormalization(_ invalid: (String, String) -> FormatError) throws(FormatError) {
        let mean = normalizationMean, std = normalizationStd
        guard mean != nil || std != nil else { return }
        guard let mean, let std, mean.count == std.count, !mean.isEmpty else {
            throw invalid("normalization_std", "must come with normalization_mean, with one value per channel each")
        }
        guard mean.allSatisfy(\.isFinite), std.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw invalid("normalization_std", "must be finite and positive (and normalization_mean finite)")
        }
        if let channels = inputShape?.first, channels != mean.count {
            throw invalid("normalization_mean", "has \(mean.count) values but input_shape \(inputShape ?? []) has \(channels) channels")
        }
    }
}
