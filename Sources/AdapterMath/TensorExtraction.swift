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
    /// side or shaped differently, are returned in `inexpressible` by name. `algorithm` picks the
    /// randomized SVD (default) or LAPACK's full one (see ``TruncatedFactors``).
    public static func extract(base: any TensorReader, tuned: any TensorReader, labels: (base: String, tuned: String),
                               rank: Int, method: any LowRankMethod.Type, algorithm: SVDAlgorithm = .randomized,
                               include: (TensorInfo) -> Bool = isLinearWeight,
                               layout: (TensorInfo) -> WeightLayout = { _ in .outputMajor }) throws -> (targets: [ExtractedTarget], inexpressible: [String]) {
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
            guard include(info), info.dtype.isFloatingPoint, tunedInfo.dtype.isFloatingPoint, info.shape.count == 2 else {
                inexpressible.append(info.name)
                continue
            }
            targets.append(try extractTarget(info: info, base: baseBytes, tuned: tunedBytes, tunedDType: tunedInfo.dtype, rank: rank,
                                             method: method, layout: layout(info), algorithm: algorithm))
        }
        for info in tuned.tensors where base.info(named: info.name) == nil { inexpressible.append(info.name) }
        guard !targets.isEmpty else { throw ExtractionError.identical(base: labels.base, tuned: labels.tuned) }
        return (targets, inexpressible)
    }

    /// 2-D floating tensors named `….weight`: what PEFT adapts.
    public static func isLinearWeight(_ info: TensorInfo) -> Bool {
        info.shape.count == 2 && info.dtype.isFloatingPoint && info.name.hasSuffix(".weight")
    }

    /// `layout` says how the tensor is stored: an `inputMajor` one (`[in, out]`, GPT-2's Conv1D) is
    /// transposed to `[out, in]` first, so the factors are in PEFT's orientation.
    private static func extractTarget(info: TensorInfo, base baseBytes: [UInt8], tuned tunedBytes: [UInt8], tunedDType: TensorDType, rank: Int,
                                      method: any LowRankMethod.Type, layout: WeightLayout, algorithm: SVDAlgorithm) throws -> ExtractedTarget {
        let (rows, columns) = layout == .outputMajor ? (info.shape[0], info.shape[1]) : (info.shape[1], info.shape[0])
        func widened(_ bytes: [UInt8], _ dtype: TensorDType) -> [Double] {
            var values = [Double](repeating: 0, count: info.elementCount)
            bytes.withUnsafeBytes { raw in
                values.withUnsafeMutableBufferPointer { StoredWeight.widen(raw, dtype: dtype, layout: layout, out: rows, inputs: columns, into: $0) }
            }
            return values
        }
        let tuned = widened(tunedBytes, tunedDType)
        var delta = widened(baseBytes, info.dtype)   // BASE, turned into TUNED − BASE in place (no third copy)
        for i in delta.indices { delta[i] = tuned[i] - delta[i] }
        let deltaSquares = delta.reduce(0) { $0 + $1 * $1 }
        let factors = try TruncatedFactors.factor(delta, rows: rows, columns: columns, deltaSquares: deltaSquares, rank: rank,
                                                  algorithm: algorithm, what: "TUNED − BASE of tensor \"\(info.name)\"")
        let r = factors.rank
        var values = ["A": factors.a, "B": factors.b]
        tuned.withUnsafeBufferPointer { pointer in
            values.merge(method.extractionFactors(tuned: pointer, out: rows, inputs: columns)) { first, _ in first }
        }
        var infos: [String: TensorInfo] = [:]
        for (role, shape) in method.factorShapes(out: rows, inputs: columns, rank: r) {
            infos[role] = TensorInfo(name: role, dtype: .float32, shape: shape)
        }
        return ExtractedTarget(target: LowRankTarget(tensor: info.name, rank: r, scaling: 1, layout: layout, factors: infos),
                               factors: LowRankFactors(rank: r, values: values),
                               report: ExtractedLayer(name: info.name, rank: r, deltaNorm: deltaSquares.squareRoot(), capturedShare: factors.capturedShare,
                                                      factorSeconds: factors.seconds))
    }
}
