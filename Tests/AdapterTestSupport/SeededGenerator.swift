import AdapterCore

/// The tests' seeded generator is the library's own SplitMix64 source.
public typealias SeededGenerator = SeededRandom

extension SeededRandom {
    /// `count` uniform values in `range`.
    public mutating func floats(_ count: Int, in range: ClosedRange<Float> = -1...1) -> [Float] {
        (0..<count).map { _ in Float.random(in: range, using: &self) }
    }

    /// A `rows × columns` matrix of uniform values in `range`.
    public mutating func matrix(_ rows: Int, _ columns: Int, in range: ClosedRange<Float> = -1...1) -> Matrix {
        Matrix(rows: rows, columns: columns, values: floats(rows * columns, in: range))
    }
}

extension Checkpoint {
    /// An MLP with layer sizes `sizes` (input first), layers `fc1`, `fc2`, …, uniform random weights.
    public static func random(sizes: [Int], seed: UInt64) -> Checkpoint {
        var rng = SeededGenerator(seed: seed)
        let layers = zip(sizes, sizes.dropFirst()).enumerated().map { index, pair in
            Layer(name: "fc\(index + 1)", weight: rng.matrix(pair.1, pair.0), bias: rng.floats(pair.1))
        }
        return Checkpoint(layers: layers)
    }
}

extension Adapter {
    /// A random adapter of `method` on every layer of `base`, with non-zero B so it changes the model.
    public static func random(for base: Checkpoint, method: AdapterMethod, rank: Int, scaling: Double = 2,
                              normAxis: NormAxis = .output, seed: UInt64) -> Adapter {
        var rng = SeededGenerator(seed: seed)
        let layers = base.layers.map { layer in
            let magnitudeCount = normAxis == .output ? layer.outputSize : layer.inputSize
            return AdapterLayer(name: layer.name, a: rng.matrix(rank, layer.inputSize, in: -0.5...0.5),
                                b: rng.matrix(layer.outputSize, rank, in: -0.5...0.5),
                                magnitude: method == .dora ? rng.floats(magnitudeCount, in: 0.5...2) : nil, scaling: scaling)
        }
        return Adapter(method: method, rank: rank, alpha: scaling * Double(rank), scaling: scaling,
                       normAxis: method == .dora ? normAxis : nil, baseFingerprint: base.computeFingerprint(), layers: layers)
    }
}
