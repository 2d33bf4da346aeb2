import AdapterCore
import Foundation

/// Deterministic synthetic data in the CIFAR-10 layout, for tests and for the demo when no real
/// data is found. Each class has a smooth colour prototype; an image mixes its class prototype
/// with a random other class's and adds strong pixel noise, so classes are separable but a linear
/// model does not reach 100 %.
public enum SyntheticCIFAR10 {
    /// Side of the square blocks prototypes are constant on (smoothness).
    static let blockSize = 4
    /// Weight of the image's own class prototype and of the distracting other class.
    static let ownWeight = 0.55, otherWeight = 0.45
    /// Amplitude of the prototypes and of the uniform pixel noise, in pixel units.
    static let amplitude = 25.0, noise = 100.0

    /// A dataset of `trainCount` training and `testCount` test images, fixed by `seed`.
    public static func make(trainCount: Int, testCount: Int, seed: UInt64) -> CIFAR10Dataset {
        var random = SeededRandom(seed: seed)
        let blocksPerSide = 32 / blockSize
        let prototypes: [[Double]] = (0..<CIFAR10.classCount).map { _ in
            (0..<(3 * blocksPerSide * blocksPerSide)).map { _ in random.unit() * 2 - 1 }
        }
        // Each split draws from its own stream, so the test images do not depend on how many training images were made.
        func split(_ count: Int, stream: UInt64) -> CIFAR10Split {
            var random = SeededRandom(seed: seed ^ (stream &* 0x9E37_79B9_7F4A_7C15))
            var pixels = [UInt8](repeating: 0, count: count * CIFAR10.imageBytes)
            var labels = [UInt8](repeating: 0, count: count)
            for image in 0..<count {
                let label = image % CIFAR10.classCount
                let other = (label + 1 + Int(random.next() % UInt64(CIFAR10.classCount - 1))) % CIFAR10.classCount
                labels[image] = UInt8(label)
                for channel in 0..<3 {
                    for y in 0..<32 {
                        for x in 0..<32 {
                            let block = (channel * blocksPerSide + y / blockSize) * blocksPerSide + x / blockSize
                            let signal = ownWeight * prototypes[label][block] + otherWeight * prototypes[other][block]
                            let value = 127.5 + amplitude * signal + noise * (random.unit() * 2 - 1)
                            pixels[image * CIFAR10.imageBytes + (channel * 32 + y) * 32 + x] = UInt8(max(0, min(255, value.rounded())))
                        }
                    }
                }
            }
            return CIFAR10Split(pixels: pixels, labels: labels)
        }
        let train = split(trainCount, stream: 1), test = split(testCount, stream: 2)
        return CIFAR10Dataset(train: train, test: test, source: "synthetic CIFAR-format data (seed \(seed))")
    }

    /// Writes `dataset` into `directory` in the official layout (`data_batch_1.bin`, `test_batch.bin`, `batches.meta.txt`).
    public static func write(_ dataset: CIFAR10Dataset, to directory: String) throws(TrainingError) {
        try CIFAR10.write(dataset.train, to: "\(directory)/data_batch_1.bin")
        try CIFAR10.write(dataset.test, to: "\(directory)/test_batch.bin")
        let meta = dataset.classNames.joined(separator: "\n") + "\n"
        do { try meta.write(toFile: "\(directory)/batches.meta.txt", atomically: true, encoding: .utf8) } catch {
            throw .io(path: "\(directory)/batches.meta.txt", problem: "cannot be written (\(error.localizedDescription))")
        }
    }
}
