/// A fixed-size float buffer allocated once and reused every step, so training allocates nothing
/// per batch. A class only because it owns manually allocated memory (freed in `deinit`).
final class FloatBuffer {
    /// Number of floats.
    let count: Int
    /// The storage (`count` initialised floats; at least one so the pointer is always valid).
    let pointer: UnsafeMutablePointer<Float>

    /// A buffer of `count` copies of `value`.
    init(count: Int, repeating value: Float = 0) {
        self.count = count
        pointer = .allocate(capacity: max(count, 1))
        pointer.initialize(repeating: value, count: max(count, 1))
    }

    /// A buffer holding a copy of `values`.
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: values.count) }
        }
    }

    deinit { pointer.deallocate() }

    /// The contents as an array.
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}

/// A view of `count` floats inside a larger buffer (a parameter or its gradient in the flat store).
struct FloatSlice {
    /// First element.
    let pointer: UnsafeMutablePointer<Float>
    /// Number of elements.
    let count: Int

    /// The contents as an array.
    var array: [Float] { Array(UnsafeBufferPointer(start: pointer, count: count)) }

    /// Overwrites the contents with `values` (same count).
    func assign(_ values: [Float]) {
        precondition(values.count == count, "slice of \(count) assigned \(values.count) values")
        values.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { pointer.update(from: base, count: count) }
        }
    }
}

/// Where a layer's trainable tensors live: consecutive slices of one flat value buffer and one
/// flat gradient buffer, so the optimiser updates every parameter in a single loop.
struct ParameterAllocator {
    private let values: UnsafeMutablePointer<Float>
    private let gradients: UnsafeMutablePointer<Float>
    private var offset = 0

    /// Hands out slices of `values` and `gradients` in order.
    init(values: UnsafeMutablePointer<Float>, gradients: UnsafeMutablePointer<Float>) {
        self.values = values
        self.gradients = gradients
    }

    /// The next `initial.count` parameters, initialised to `initial`, and their gradient slice.
    mutating func take(_ initial: [Float]) -> (value: FloatSlice, gradient: FloatSlice) {
        let value = FloatSlice(pointer: values + offset, count: initial.count)
        let gradient = FloatSlice(pointer: gradients + offset, count: initial.count)
        value.assign(initial)
        offset += initial.count
        return (value, gradient)
    }
}
