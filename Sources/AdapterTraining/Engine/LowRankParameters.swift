import AdapterCore

/// What LoRA and DoRA layers share: the frozen base weight and bias, and the trainable (or, for
/// evaluation, frozen) factors A `[rank, in]` and B `[out, rank]` with ΔW = scaling · B · A.
struct LowRankParameters {
    let name: String
    let inputSize: Int
    let outputSize: Int
    let rank: Int
    let scaling: Float
    /// Whether A and B (and DoRA's magnitude) are trained.
    let isTrainable: Bool
    /// The frozen base tensors.
    let weight: FloatBuffer, bias: FloatBuffer
    private(set) var a: FloatSlice, b: FloatSlice
    private(set) var aGradient: FloatSlice?, bGradient: FloatSlice?
    private var initialA: [Float], initialB: [Float]
    /// Owns A and B when they are not in the parameter store.
    private var storage: [FloatBuffer]

    init(base: Layer, adapter: AdapterLayer, trainable: Bool) {
        name = base.name
        inputSize = base.inputSize
        outputSize = base.outputSize
        rank = adapter.rank
        scaling = Float(adapter.scaling)
        isTrainable = trainable
        weight = FloatBuffer(base.weight.values)
        bias = FloatBuffer(base.bias)
        initialA = adapter.a.values
        initialB = adapter.b.values
        let aBuffer = FloatBuffer(adapter.a.values), bBuffer = FloatBuffer(adapter.b.values)
        storage = [aBuffer, bBuffer]
        a = FloatSlice(pointer: aBuffer.pointer, count: aBuffer.count)
        b = FloatSlice(pointer: bBuffer.pointer, count: bBuffer.count)
    }

    var factorCount: Int { isTrainable ? rank * (inputSize + outputSize) : 0 }

    mutating func bind(_ allocator: inout ParameterAllocator) {
        guard isTrainable else { return }
        (a, aGradient) = allocator.take(initialA)
        (b, bGradient) = allocator.take(initialB)
        storage = []
        initialA = []
        initialB = []
    }

    /// The current factors as an adapter layer.
    func adapterLayer(magnitude: [Float]?) -> AdapterLayer {
        AdapterLayer(name: name, a: Matrix(rows: rank, columns: inputSize, values: a.array),
                     b: Matrix(rows: outputSize, columns: rank, values: b.array), magnitude: magnitude, scaling: Double(scaling))
    }

    /// Squared norms of the frozen weight's rows (`output`) or columns (`input`), computed once.
    func weightSquaredNorms(_ axis: NormAxis) -> FloatBuffer {
        let norms = FloatBuffer(count: axis == .output ? outputSize : inputSize)
        for row in 0..<outputSize {
            let line = weight.pointer + row * inputSize
            for column in 0..<inputSize {
                let value = line[column] * line[column]
                if axis == .output { norms.pointer[row] += value } else { norms.pointer[column] += value }
            }
        }
        return norms
    }
}
