/// Why data could not be loaded or a model could not be trained or evaluated: always one line that
/// names the file or option, says what is wrong and what was expected.
public enum TrainingError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The data folder does not exist.
    case missingFolder(path: String)
    /// No file in the folder matches the expected names.
    case noFiles(directory: String, pattern: String)
    /// A batch file's size is not a whole number of records.
    case badFileSize(path: String, size: Int)
    /// A record's label is not a CIFAR-10 class.
    case badLabel(path: String, record: Int, label: UInt8)
    /// A plain file-system failure.
    case io(path: String, problem: String)
    /// A model does not fit the data (input size or class count).
    case incompatibleModel(problem: String)
    /// An option value is unusable.
    case invalidOption(name: String, problem: String)

    /// The single error line shown to users.
    public var description: String {
        switch self {
        case .missingFolder(let path):
            return "\(path): no such folder; expected a CIFAR-10 binary folder (data_batch_*.bin, test_batch*.bin)"
        case .noFiles(let directory, let pattern):
            return "\(directory): no file named \(pattern); expected the CIFAR-10 binary layout (data_batch_1.bin … data_batch_5.bin, test_batch.bin)"
        case .badFileSize(let path, let size):
            return "\(path): \(size) bytes is not a multiple of \(CIFAR10.recordBytes), the CIFAR-10 record size (1 label byte + 3072 pixel bytes)"
        case .badLabel(let path, let record, let label):
            return "\(path): record \(record) has label \(label); expected 0 to 9"
        case .io(let path, let problem):
            return "\(path): \(problem)"
        case .incompatibleModel(let problem):
            return problem
        case .invalidOption(let name, let problem):
            return "\(name): \(problem)"
        }
    }
}
