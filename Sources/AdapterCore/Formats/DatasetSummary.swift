/// What a dataset is, read from metadata only (no data is touched).
public struct DatasetSummary: Equatable, Sendable, Codable {
    /// The dataset's path in the file, e.g. `/layers/fc1/weight`.
    public var path: String
    /// Its dimensions.
    public var shape: [Int]
    /// Its stored element type: `float32`, `float16`, `float64`, …
    public var dtype: String
    /// Bytes it occupies in the file (after compression).
    public var storedBytes: Int
    /// `contiguous`, `chunked`, `compact`, …
    public var layout: String
    /// The filter pipeline, e.g. `shuffle+deflate(4)`; nil when uncompressed.
    public var compression: String?

    /// Element count (saturating at `Int.max`: a hostile header cannot make the arithmetic trap).
    public var elementCount: Int { shape.saturatingProduct }

    /// Reads the summary of a dataset the v1 formats define, refusing storage adaptool will not read
    /// (virtual, external, plugin filters) and sizes over ``hdf5MaxDatasetElements``.
    package init(validating dataset: HDF5Dataset) throws(HDF5Error) {
        try dataset.validateStorage()
        try self.init(dataset)
        guard elementCount <= hdf5MaxDatasetElements else {
            throw HDF5Error(operation: "\(path) in \"\(dataset.file.path)\"", detail: "has shape \(shape) (\(elementCount) elements), more than the \(hdf5MaxDatasetElements) adaptool accepts")
        }
    }

    /// Reads the summary of an open dataset.
    package init(_ dataset: HDF5Dataset) throws(HDF5Error) {
        path = dataset.path
        shape = try dataset.shape()
        dtype = try dataset.elementType().description
        storedBytes = dataset.storedBytes()
        let storage = try dataset.storage()
        layout = storage.layout.rawValue
        compression = storage.filters.isEmpty ? nil : storage.filters.map { filter in
            switch filter.id {
            case 1: return "deflate(\(filter.level ?? 0))"
            case 2: return "shuffle"
            case 3: return "fletcher32"
            default: return "filter \(filter.id) \(filter.name)"
            }
        }.joined(separator: "+")
    }
}

extension Sequence where Element == Int {
    /// The product of the elements, `Int.max` if it overflows: for sizes read from untrusted files.
    package var saturatingProduct: Int {
        reduce(1) { total, factor in
            let (product, overflow) = total.multipliedReportingOverflow(by: factor)
            return overflow ? Int.max : product
        }
    }
}
