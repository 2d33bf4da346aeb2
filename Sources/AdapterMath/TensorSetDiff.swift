import AdapterCore

/// How one named tensor differs between two models.
public struct TensorDifference: Sendable, Codable, Equatable {
    /// Which side has the tensor.
    public enum Presence: String, Sendable, Codable {
        case both, first, second
    }

    /// The tensor's name.
    public var name: String
    /// Which side has it.
    public var presence: Presence
    /// Dtype and shape on the first side (nil when absent).
    public var first: TensorSummary?
    /// Dtype and shape on the second side (nil when absent).
    public var second: TensorSummary?
    /// Same dtype, shape and bytes (known from stored digests or by comparing bytes).
    public var identical: Bool
    /// Whether identity was decided from the stored digests alone, without reading data.
    public var decidedByDigest: Bool
    /// For floating tensors of equal shape that are not identical: the value differences.
    public var values: WeightComparison?
    /// Identical, or same dtype and shape with every value within the tolerance.
    public var isSame: Bool

    /// The module a tensor belongs to: its name up to the last `.` (`model.layers.0.mlp.up_proj`).
    public var module: String {
        guard let dot = name.lastIndex(of: ".") else { return name }
        return String(name[..<dot])
    }
}

/// A tensor's dtype and shape, for reports.
public struct TensorSummary: Sendable, Codable, Equatable {
    /// The dtype's name.
    public var dtype: String
    /// The shape.
    public var shape: [Int]

    init(_ info: TensorInfo) { (dtype, shape) = (info.dtype.rawValue, info.shape) }
}

/// The per-tensor differences between two models (v2 checkpoints, safetensors files, model folders).
public struct TensorSetDifference: Sendable, Codable, Equatable {
    /// The labels (paths) of the two sides.
    public var first: String, second: String
    /// Every tensor of the first side in stored order, then those only the second side has.
    public var tensors: [TensorDifference]

    /// Whether every tensor is present on both sides and the same.
    public var isSame: Bool { tensors.allSatisfy(\.isSame) }
    /// The modules with at least one tensor that is not the same, in order.
    public var changedModules: [String] {
        var seen = Set<String>()
        return tensors.filter { !$0.isSame }.map(\.module).filter { seen.insert($0).inserted }
    }

    /// One line: how many tensors differ, in which modules.
    public var summaryLine: String {
        let changed = tensors.filter { !$0.isSame }
        guard !changed.isEmpty else { return "same: \(tensors.count) tensors (\(tensors.filter(\.decidedByDigest).count) by stored digest)" }
        let onlyFirst = changed.filter { $0.presence == .first }.count, onlySecond = changed.filter { $0.presence == .second }.count
        var parts = ["\(changed.count) of \(tensors.count) tensors differ"]
        if onlyFirst > 0 { parts.append("\(onlyFirst) only in \(first)") }
        if onlySecond > 0 { parts.append("\(onlySecond) only in \(second)") }
        let modules = changedModules
        return "different: " + parts.joined(separator: ", ") + "; modules: " + modules.joined(separator: ", ")
    }
}

/// Compares two sets of named tensors tensor by tensor, reading at most two tensors at a time.
public enum TensorSetDiff {
    /// Above this many elements the numerical rank (an SVD of ΔW) is skipped: an exact SVD of a
    /// 4096 × 4096 float64 matrix already takes seconds and 128 MiB.
    public static let rankElementLimit = 1 << 22

    /// Diffs `a` against `b` (labels name them in reports). ΔM and ΔD of matrices are taken along
    /// `normAxis`; `figure` collects what a diff figure draws for each matrix.
    public static func compare(_ a: any TensorReader, _ b: any TensorReader, labels: (String, String),
                               tolerance: DiffTolerance = DiffTolerance(), normAxis: NormAxis = .output, computeRank: Bool = true, algorithm: SVDAlgorithm = .randomized,
                               figure: DiffFigureRecorder? = nil) throws -> TensorSetDifference {
        var differences: [TensorDifference] = []
        for infoA in a.tensors {
            guard let infoB = b.info(named: infoA.name) else {
                differences.append(TensorDifference(name: infoA.name, presence: .first, first: TensorSummary(infoA), second: nil,
                                                    identical: false, decidedByDigest: false, values: nil, isSame: false))
                continue
            }
            differences.append(try compare(infoA, infoB, a, b, tolerance: tolerance, normAxis: normAxis, computeRank: computeRank, algorithm: algorithm, figure: figure))
        }
        for infoB in b.tensors where a.info(named: infoB.name) == nil {
            differences.append(TensorDifference(name: infoB.name, presence: .second, first: nil, second: TensorSummary(infoB),
                                                identical: false, decidedByDigest: false, values: nil, isSame: false))
        }
        return TensorSetDifference(first: labels.0, second: labels.1, tensors: differences)
    }

    private static func compare(_ infoA: TensorInfo, _ infoB: TensorInfo, _ a: any TensorReader, _ b: any TensorReader,
                                tolerance: DiffTolerance, normAxis: NormAxis, computeRank: Bool, algorithm: SVDAlgorithm,
                                figure: DiffFigureRecorder?) throws -> TensorDifference {
        var result = TensorDifference(name: infoA.name, presence: .both, first: TensorSummary(infoA), second: TensorSummary(infoB),
                                      identical: false, decidedByDigest: false, values: nil, isSame: false)
        let sameLayout = infoA.dtype == infoB.dtype && infoA.shape == infoB.shape
        if sameLayout, let digestA = a.storedDigest(of: infoA.name), let digestB = b.storedDigest(of: infoB.name), digestA == digestB {
            (result.identical, result.decidedByDigest, result.isSame) = (true, true, true)
            return result
        }
        guard infoA.shape == infoB.shape else { return result }
        let bytesA = try a.rawBytes(of: infoA.name), bytesB = try b.rawBytes(of: infoB.name)
        if sameLayout, bytesA == bytesB {
            (result.identical, result.isSame) = (true, true)
            return result
        }
        guard infoA.dtype.isFloatingPoint, infoB.dtype.isFloatingPoint,
              let valuesA = infoA.dtype.float64Values(fromLittleEndian: bytesA, count: infoA.elementCount),
              let valuesB = infoB.dtype.float64Values(fromLittleEndian: bytesB, count: infoB.elementCount) else { return result }
        let isMatrix = infoA.shape.count == 2
        let (rows, columns) = isMatrix ? (infoA.shape[0], infoA.shape[1]) : (1, infoA.elementCount)
        let rank = computeRank && isMatrix && infoA.elementCount <= rankElementLimit
        let detailed = try WeightComparison.compareInDetail(valuesA, valuesB, rows: rows, columns: columns, normAxis: isMatrix ? normAxis : .output,
                                                            tolerance: tolerance, computeRank: rank, algorithm: algorithm, what: "Δ\(infoA.name)")
        if isMatrix {
            figure?.record(DiffFigureModule.name(ofTensor: infoA.name), rows: rows, columns: columns, detailed, rankRequested: computeRank,
                           source: .tensors)
        }
        result.values = detailed.comparison
        result.isSame = sameLayout && detailed.comparison.withinTolerance
        return result
    }
}
