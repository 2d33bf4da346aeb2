import AdapterTestSupport
import Foundation
import Testing
@testable import AdapterTraining

/// The binary loader: the official record layout, any matching file names, and one-line errors.
struct CIFAR10LoaderTests {
    /// Writes `records` (label, pixel fill byte) as one batch file.
    private func writeBatch(_ path: String, _ records: [(UInt8, UInt8)]) throws {
        var bytes: [UInt8] = []
        for (label, fill) in records {
            bytes.append(label)
            bytes.append(contentsOf: (0..<3072).map { UInt8(truncatingIfNeeded: Int(fill) &+ $0) })
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test func readsRecordsFromAnyMatchingFileInNameOrder() throws {
        let folder = try TemporaryDirectory()
        try writeBatch(folder.file("data_batch_1.partial.bin"), [(3, 10), (9, 20)])
        try writeBatch(folder.file("data_batch_2.bin"), [(0, 30)])
        try writeBatch(folder.file("test_batch.partial.bin"), [(7, 40)])
        try writeBatch(folder.file("unrelated.bin"), [(1, 1)])
        try "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n".write(toFile: folder.file("batches.meta.txt"), atomically: true, encoding: .utf8)
        let data = try CIFAR10.load(directory: folder.path)
        #expect(data.train.labels == [3, 9, 0])
        #expect(data.test.labels == [7])
        #expect(data.train.pixels.count == 3 * 3072)
        // Record 1's pixel p is 20 + p (mod 256): planes are kept in file order.
        #expect(data.train.pixels[3072] == 20 && data.train.pixels[3072 + 1000] == UInt8((20 + 1000) % 256))
        #expect(data.classNames == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"])
    }

    @Test func defaultsToOfficialClassNamesWithoutMetaFile() throws {
        let folder = try TemporaryDirectory()
        try writeBatch(folder.file("data_batch_1.bin"), [(1, 0)])
        try writeBatch(folder.file("test_batch.bin"), [(2, 0)])
        #expect(try CIFAR10.load(directory: folder.path).classNames == CIFAR10.defaultClassNames)
    }

    @Test func rejectsSizeThatIsNotWholeRecords() throws {
        let folder = try TemporaryDirectory()
        try writeBatch(folder.file("data_batch_1.bin"), [(1, 0)])
        try Data(repeating: 1, count: 3073 + 5).write(to: URL(fileURLWithPath: folder.file("test_batch.bin")))
        #expect(throws: TrainingError.badFileSize(path: folder.file("test_batch.bin"), size: 3078)) { try CIFAR10.load(directory: folder.path) }
        let message = TrainingError.badFileSize(path: "x.bin", size: 3078).description
        #expect(message.contains("x.bin") && message.contains("3073") && !message.contains("\n"))
    }

    @Test func rejectsLabelAboveNine() throws {
        let folder = try TemporaryDirectory()
        try writeBatch(folder.file("data_batch_1.bin"), [(1, 0), (10, 0)])
        try writeBatch(folder.file("test_batch.bin"), [(2, 0)])
        #expect(throws: TrainingError.badLabel(path: folder.file("data_batch_1.bin"), record: 1, label: 10)) {
            try CIFAR10.load(directory: folder.path)
        }
    }

    @Test func rejectsMissingFolderAndMissingFiles() throws {
        #expect(throws: TrainingError.missingFolder(path: "/nonexistent/cifar")) { try CIFAR10.load(directory: "/nonexistent/cifar") }
        let folder = try TemporaryDirectory()
        try writeBatch(folder.file("data_batch_1.bin"), [(1, 0)])
        #expect(throws: TrainingError.noFiles(directory: folder.path, pattern: "test_batch*.bin")) { try CIFAR10.load(directory: folder.path) }
        #expect(try CIFAR10.load(directory: folder.path, parts: .train).train.count == 1)
    }

    @Test func syntheticDataRoundTripsThroughTheBinaryLayout() throws {
        let folder = try TemporaryDirectory()
        let dataset = SyntheticCIFAR10.make(trainCount: 50, testCount: 20, seed: 7)
        try SyntheticCIFAR10.write(dataset, to: folder.path)
        let loaded = try CIFAR10.load(directory: folder.path)
        #expect(loaded.train.pixels == dataset.train.pixels && loaded.train.labels == dataset.train.labels)
        #expect(loaded.test.labels == dataset.test.labels)
        #expect(SyntheticCIFAR10.make(trainCount: 50, testCount: 20, seed: 7).train.pixels == dataset.train.pixels)
        #expect(SyntheticCIFAR10.make(trainCount: 50, testCount: 20, seed: 8).train.pixels != dataset.train.pixels)
        // The test split must not depend on the training split's size (eval generates only the test split).
        #expect(SyntheticCIFAR10.make(trainCount: 0, testCount: 20, seed: 7).test.pixels == dataset.test.pixels)
        #expect(dataset.test.pixels != Array(dataset.train.pixels.prefix(dataset.test.pixels.count)))
    }

    @Test(.enabled(if: PackagePaths.cifar10Directory != nil, "needs CIFAR10_DIR"))
    func realDataLoadsWhenAvailable() throws {
        let directory = try #require(PackagePaths.cifar10Directory)
        let data = try CIFAR10.load(directory: directory)
        #expect(data.train.count > 0 && data.test.count > 0)
        #expect(data.train.labels.allSatisfy { $0 < 10 })
        #expect(data.classNames.first == "airplane")
    }
}
