import AdapterCore
import Foundation

/// One part of CIFAR-10 (training or test images) kept as raw bytes: 60,000 images take 184 MB
/// this way instead of 737 MB as floats. Batches are normalised when they are gathered.
public struct CIFAR10Split: Sendable {
    /// Pixels, `count × 3072` bytes: per image the R, G and B planes, each 32×32 row-major.
    public var pixels: [UInt8]
    /// Labels 0…9, one per image.
    public var labels: [UInt8]

    /// A split over `pixels` (3072 bytes per image) and `labels`.
    public init(pixels: [UInt8], labels: [UInt8]) {
        precondition(pixels.count == labels.count * CIFAR10.imageBytes, "pixels and labels disagree on the image count")
        self.pixels = pixels
        self.labels = labels
    }

    /// Number of images.
    public var count: Int { labels.count }
}

/// A CIFAR-10 folder in memory: training and test splits and the class names.
public struct CIFAR10Dataset: Sendable {
    /// The training images (all `data_batch_*.bin`).
    public var train: CIFAR10Split
    /// The test images (all `test_batch*.bin`).
    public var test: CIFAR10Split
    /// The ten class names, from `batches.meta.txt` when present.
    public var classNames: [String]
    /// Where the data came from (a folder, or a description of synthetic data).
    public var source: String

    /// Bundles the splits.
    public init(train: CIFAR10Split, test: CIFAR10Split, classNames: [String] = CIFAR10.defaultClassNames, source: String) {
        self.train = train
        self.test = test
        self.classNames = classNames
        self.source = source
    }
}

/// The official CIFAR-10 binary layout and its reader.
public enum CIFAR10 {
    /// Bytes of one image: 3 planes of 32×32.
    public static let imageBytes = 3 * 32 * 32
    /// Bytes of one record: the label byte, then the image.
    public static let recordBytes = 1 + imageBytes
    /// `[channels, height, width]` of one image, as stored in checkpoints' `input_shape`.
    public static let inputShape = [3, 32, 32]
    /// Number of classes.
    public static let classCount = 10
    /// Per-channel mean and std of the normalisation (x/255 − 0.5)/0.5, as in the reference notebook.
    public static let normalizationMean = [0.5, 0.5, 0.5]
    /// See ``normalizationMean``.
    public static let normalizationStd = [0.5, 0.5, 0.5]
    /// The official class names (used when `batches.meta.txt` is absent).
    public static let defaultClassNames = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]

    /// Which splits to read.
    public enum Part: Sendable {
        /// `data_batch_*.bin` only.
        case train
        /// `test_batch*.bin` only.
        case test
        /// Both.
        case both
    }

    /// Reads `directory`: every `data_batch_*.bin` (training) and `test_batch*.bin` (test), in name order.
    public static func load(directory: String, parts: Part = .both) throws(TrainingError) -> CIFAR10Dataset {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isFolder) else { throw .missingFolder(path: directory) }
        guard isFolder.boolValue else {
            throw .io(path: directory, problem: "is a file, not a folder; --data expects the CIFAR-10 binary folder (data_batch_*.bin, test_batch*.bin), such as the one that holds this file")
        }
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory).sorted() } catch {
            throw .io(path: directory, problem: "cannot list the folder (\(error.localizedDescription))")
        }
        func files(_ prefix: String, _ pattern: String) throws(TrainingError) -> [String] {
            let matching = names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".bin") }
            guard !matching.isEmpty else { throw .noFiles(directory: directory, pattern: pattern) }
            return matching.map { "\(directory)/\($0)" }
        }
        let empty = CIFAR10Split(pixels: [], labels: [])
        let train = parts == .test ? empty : try readSplit(files("data_batch_", "data_batch_*.bin"))
        let test = parts == .train ? empty : try readSplit(files("test_batch", "test_batch*.bin"))
        return CIFAR10Dataset(train: train, test: test, classNames: try classNames(in: directory), source: directory)
    }

    /// Records read per `pread` while loading (about 3 MB): large enough that the call count does
    /// not matter, small enough that the staging buffer does not either.
    static let recordsPerRead = 1024

    /// Reads and concatenates batch files, with `pread` (never mapped: a batch file truncated by
    /// another program while it is read is one error line, not SIGBUS).
    public static func readSplit(_ paths: [String]) throws(TrainingError) -> CIFAR10Split {
        let files = try paths.map { path throws(TrainingError) in try input(path, expected: "a CIFAR-10 batch file") }
        var total = 0
        for file in files {
            guard file.size > 0, file.size % recordBytes == 0 else { throw .badFileSize(path: file.path, size: file.size) }
            total += file.size / recordBytes
        }
        if let refusal = MemoryBudget.refusal(count: total, itemBytes: recordBytes, for: "\(total) CIFAR-10 images") {
            throw .io(path: paths.first ?? "", problem: refusal)
        }
        var pixels: [UInt8] = [], labels: [UInt8] = []
        pixels.reserveCapacity(total * imageBytes)
        labels.reserveCapacity(total)
        var chunk = [UInt8](repeating: 0, count: recordsPerRead * recordBytes)
        for file in files {
            let records = file.size / recordBytes
            for first in stride(from: 0, to: records, by: recordsPerRead) {
                let count = min(recordsPerRead, records - first)
                try read(file, records: first..<(first + count), into: &chunk)
                for record in 0..<count {
                    let start = record * recordBytes
                    guard chunk[start] < classCount else { throw .badLabel(path: file.path, record: first + record, label: chunk[start]) }
                    labels.append(chunk[start])
                    pixels.append(contentsOf: chunk[(start + 1)..<(start + recordBytes)])
                }
            }
        }
        return CIFAR10Split(pixels: pixels, labels: labels)
    }

    /// Opens an input file, as a ``TrainingError``.
    private static func input(_ path: String, expected: String) throws(TrainingError) -> InputFile {
        do { return try InputFile(path: path, expected: expected) } catch { throw .io(path: path, problem: error.problem) }
    }

    /// Reads whole records of `file` into the start of `chunk`.
    private static func read(_ file: InputFile, records: Range<Int>, into chunk: inout [UInt8]) throws(TrainingError) {
        var failure: InputFileError?
        chunk.withUnsafeMutableBytes { buffer in
            let target = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<(records.count * recordBytes)])
            do throws(InputFileError) { try file.read(into: target, at: records.lowerBound * recordBytes) } catch { failure = error }
        }
        if let failure { throw .io(path: file.path, problem: failure.problem) }
    }

    /// The class names of `batches.meta.txt` (one per line), or the official ones when absent or
    /// malformed; a `batches.meta.txt` that is not a regular file is an error.
    static func classNames(in directory: String) throws(TrainingError) -> [String] {
        let path = "\(directory)/batches.meta.txt"
        guard FileManager.default.fileExists(atPath: path) else { return defaultClassNames }
        let bytes: [UInt8]
        do { bytes = try InputFile.contents(of: path, expected: "a list of class names", limit: maximumMetaBytes) } catch {
            throw .io(path: path, problem: error.problem)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return defaultClassNames }
        let names = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return names.count == classCount ? names : defaultClassNames
    }

    /// The largest `batches.meta.txt` read (the official one is 61 bytes).
    static let maximumMetaBytes = 1 << 16

    /// Writes `split` as one batch file in the official layout (used for synthetic data and tests).
    public static func write(_ split: CIFAR10Split, to path: String) throws(TrainingError) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(split.count * recordBytes)
        for index in 0..<split.count {
            bytes.append(split.labels[index])
            bytes.append(contentsOf: split.pixels[(index * imageBytes)..<((index + 1) * imageBytes)])
        }
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) } catch {
            throw .io(path: path, problem: "cannot be written (\(error.localizedDescription))")
        }
    }
}
