import AdapterCore
import AdapterMethods

/// One extracted target: its manifest entry (factor infos as float32), the factor values, and
/// what the rank captured.
public struct ExtractedTarget: Sendable {
    /// The target, as an adapter manifest lists it.
    public var target: LowRankTarget
    /// Factor values by role, float64 (writers round them once to the stored dtype).
    public var factors: LowRankFactors
    /// What extraction did to this tensor.
    public var report: ExtractedLayer
}

/// Low-rank adapters from a full fine-tune of any model (spec/math.md §Extraction): every 2-D
/// floating tensor that differs becomes a target with B = U_r √S_r and A = √S_r V_rᵀ (scaling 1),
/// plus whatever else the method needs (DoRA's magnitudes). One tensor pair in memory at a time.
public enum TensorExtraction {
    /// Extracts targets for every tensor `include` accepts (default: 2-D floating tensors whose
    /// name ends in `.weight`). Tensors that differ but are not included, or are missing on one
    /// side or shaped differently, are returned in `inexpressible` by name.
    public static func extract(base: any TensorReader, tuned: any TensorReader, labels: (base: String, tuned: String),
                               rank: Int, method: any LowRankMethod.Type,
                               include: (TensorInfo) -> Bool = isLinearWeight) throws -> (targets: [ExtractedTarget], inexpressible: [String]) {
        guard rank >= 1 else { throw ExtractionError.invalidRank(rank) }
        var targets: [ExtractedTarget] = [], inexpressible: [String] = []
        for info in base.tensors {
            guard let tunedInfo = tuned.info(named: info.name), tunedInfo.shape == info.shape else {
                inexpressible.append(info.name)
                continue
            }
            if let digest = base.storedDigest(of: info.name), digest == tuned.storedDigest(of: info.name), info.dtype == tunedInfo.dtype { continue }
            let baseBytes = try base.rawBytes(of: info.name), tunedBytes = try tuned.rawBytes(of: info.name)
            if info.dtype == tunedInfo.dtype && baseBytes == tunedBytes { continue }
            guard include(info), info.dtype.isFloatingPoint, tunedInfo.dtype.isFloatingPoint,
                  let baseValues = info.dtype.float64Values(fromLittleEndian: baseBytes, count: info.elementCount),
                  let tunedValues = tunedInfo.dtype.float64Values(fromLittleEndian: tunedBytes, count: tunedInfo.elementCount) else {
                inexpressible.append(info.name)
                continue
            }
            targets.append(try extractTarget(info: info, base: baseValues, tuned: tunedValues, rank: rank, method: method))
        }
        for info in tuned.tensors where base.info(named: info.name) == nil { inexpressible.append(info.name) }
        guard !targets.isEmpty else { throw ExtractionError.identical(base: labels.base, tuned: labels.tuned) }
        return (targets, inexpressible)
    }

    /// 2-D floating tensors named `….weight`: what PEFT adapts.
    public static func isLinearWeight(_ info: TensorInfo) -> Bool {
        info.shape.count == 2 && info.dtype.isFloatingPoint && info.name.hasSuffix(".weight")
    }

    private static func extractTarget(info: TensorInfo, base: [Double], tuned: [Double], rank: Int,
                                      method: any LowRankMethod.Type) throws -> ExtractedTarget {
        let (rows, columns) = (info.shape[0], info.shape[1])
        let delta = zip(tuned, base).map { $0 - $1 }
        let deltaSquares = delta.reduce(0) { $0 + $1 * $1 }
        let svd = try LAPACK.svd(rows: rows, columns: columns, values: delta, what: "TUNED − BASE of tensor \"\(info.name)\"")
        let r = min(rank, svd.count)
        var a = [Double](repeating: 0, count: r * columns), b = [Double](repeating: 0, count: rows * r)
        for j in 0..<r {
            let root = svd.singularValues[j].squareRoot()
            for i in 0..<rows { b[i * r + j] = svd.u[i * svd.count + j] * root }
            for c in 0..<columns { a[j * columns + c] = svd.vt[j * columns + c] * root }
        }
        var values = ["A": a, "B": b]
        tuned.withUnsafeBufferPointer { pointer in
            values.merge(method.extractionFactors(tuned: pointer, out: rows, inputs: columns)) { first, _ in first }
        }
        var infos: [String: TensorInfo] = [:]
        for (role, shape) in method.factorShapes(out: rows, inputs: columns, rank: r) {
            infos[role] = TensorInfo(name: role, dtype: .float32, shape: shape)
        }
        let total = svd.singularValues.reduce(0) { $0 + $1 * $1 }
        let captured = total == 0 ? 1 : svd.singularValues.prefix(r).reduce(0) { $0 + $1 * $1 } / total
        return ExtractedTarget(target: LowRankTarget(tensor: info.name, rank: r, scaling: 1, factors: infos),
                               factors: LowRankFactors(rank: r, values: values),
                               report: ExtractedLayer(name: info.name, rank: r, deltaNorm: deltaSquares.squareRoot(), capturedShare: captured))
    }
}
