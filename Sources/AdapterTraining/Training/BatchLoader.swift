import CTrainingKernels

/// Gathers images of a split into a float batch, normalising bytes on the fly with
/// (x/255 − 0.5)/0.5 (the reference notebook's transform, in the vector kernel `adaptool_normalize_bytes`),
/// and labels into a parallel buffer.
final class BatchLoader {
    let capacity: Int
    let inputs: FloatBuffer
    let labels: UnsafeMutablePointer<Int32>

    init(capacity: Int) {
        self.capacity = capacity
        inputs = FloatBuffer(count: capacity * CIFAR10.imageBytes)
        labels = .allocate(capacity: max(capacity, 1))
    }

    deinit { labels.deallocate() }

    /// Batches from this many rows are converted in parallel.
    static let parallelRows = 16

    /// The input buffer, shared by the workers; each writes only its own rows.
    private struct Targets: @unchecked Sendable {
        let inputs: UnsafeMutablePointer<Float>
    }

    /// Loads the images `indices[range]` of `split`; returns the number of rows.
    func load(_ split: CIFAR10Split, indices: [Int], range: Range<Int>) -> Int {
        precondition(range.count <= capacity, "batch larger than the loader")
        let width = CIFAR10.imageBytes
        let targets = Targets(inputs: inputs.pointer)
        for (row, index) in indices[range].enumerated() { labels[row] = Int32(split.labels[index]) }
        // Rows are independent: spread them over the workers (the conversion is a large share of a LoRA step).
        ParallelGEMM.forEachChunk(count: range.count, alignment: 1, threshold: Self.parallelRows) { rows in
            split.pixels.withUnsafeBufferPointer { pixels in
                guard let first = pixels.baseAddress else { return }
                for row in rows {
                    adaptool_normalize_bytes(first + indices[range.lowerBound + row] * width, targets.inputs + row * width, width)
                }
            }
        }
        return range.count
    }
}
