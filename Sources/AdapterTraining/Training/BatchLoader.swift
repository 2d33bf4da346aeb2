/// Gathers images of a split into a float batch, normalising bytes on the fly with
/// (x/255 − 0.5)/0.5 (the reference notebook's transform), and labels into a parallel buffer.
final class BatchLoader {
    let capacity: Int
    let inputs: FloatBuffer
    let labels: UnsafeMutablePointer<Int32>
    /// byte → normalised value, so a pixel costs one table lookup.
    private let table: [Float] = (0..<256).map { (Float($0) / 255 - 0.5) / 0.5 }

    init(capacity: Int) {
        self.capacity = capacity
        inputs = FloatBuffer(count: capacity * CIFAR10.imageBytes)
        labels = .allocate(capacity: max(capacity, 1))
    }

    deinit { labels.deallocate() }

    /// Loads the images `indices[range]` of `split`; returns the number of rows.
    func load(_ split: CIFAR10Split, indices: [Int], range: Range<Int>) -> Int {
        precondition(range.count <= capacity, "batch larger than the loader")
        let width = CIFAR10.imageBytes
        table.withUnsafeBufferPointer { lookup in
            split.pixels.withUnsafeBufferPointer { pixels in
                guard let first = pixels.baseAddress else { return }
                for (row, index) in indices[range].enumerated() {
                    let source = first + index * width, target = inputs.pointer + row * width
                    for p in 0..<width { target[p] = lookup[Int(source[p])] }
                    labels[row] = Int32(split.labels[index])
                }
            }
        }
        return range.count
    }
}
