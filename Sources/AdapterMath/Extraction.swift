import AdapterCore
import Foundation

/// Why an adapter could not be extracted from two checkpoints.
public enum ExtractionError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The rank is not positive.
    case invalidRank(Int)
    /// The two checkpoints list different layers.
    case layersDiffer(base: String, tuned: String, baseLayers: [String], tunedLayers: [String])
    /// A layer's weights differ in shape.
    case shapeMismatch(layer: String, base: [Int], tuned: [Int])
    /// Every layer is identical: there is nothing to extract.
    case identical(base: String, tuned: String)

    /// The single error line shown to users.
    public var description: String {
        switch self {
        case .invalidRank(let rank):
            return "--rank \(rank) is not valid; expected a positive integer"
        case .layersDiffer(let base, let tuned, let baseLayers, let tunedLayers):
            return "\(tuned): has layers [\(tunedLayers.joined(separator: ", "))] but the base \(base) has [\(baseLayers.joined(separator: ", "))]; both must list the same layers"
        case .shapeMismatch(let layer, let base, let tuned):
            return "layer \"\(layer)\": the tuned weight is \(tuned) but the base weight is \(base); shapes must match"
        case .identical(let base, let tuned):
            return "\(tuned): every weight equals the base \(base)'s; there is no update to extract"
        }
    }
}

/// What extraction did to one layer.
public struct ExtractedLayer: Sendable, Codable, Equatable {
    /// The layer's name.
    public var name: String
    /// The rank used (the requested rank, capped at min(out, in)).
    public var rank: Int
    /// ‖ΔW‖_F of TUNED − BASE.
    public var deltaNorm: Double
    /// Σᵢ≤r σᵢ² / Σ σᵢ²: the share of ‖ΔW‖² the rank-r adapter captures.
    public var capturedShare: Double
    /// max |Δb|: bias changes, which an adapter cannot express (the caller should warn when > 0).
    public var biasChange: Double = 0
    /// Wall-clock seconds the factorisation took (SVD and captured share), for benchmarks.
    public var factorSeconds: Double = 0
}

/// Low-rank adapters from a full fine-tune by truncated SVD (spec/math.md §Extraction).
public enum AdapterExtraction {
    /// The rank-`rank` adapter layer best explaining `tuned − base` in Frobenius norm (Eckart–Young),
    /// with B = U_r √S_r and A = √S_r V_rᵀ (balanced factors, scaling 1). For DoRA the magnitudes
    /// are ‖TUNED‖ along `normAxis`. Returns nil when the weights are equal. `algorithm` picks the
    /// randomized SVD (default) or LAPACK's full one (see ``TruncatedFactors``).
    public static func extractLayer(base: Layer, tuned: Layer, rank: Int, method: AdapterMethod,
                                    normAxis: NormAxis = .output, algorithm: SVDAlgorithm = .randomized) throws -> (AdapterLayer, ExtractedLayer)? {
        guard rank >= 1 else { throw ExtractionError.invalidRank(rank) }
        guard base.weight.shape == tuned.weight.shape else {
            throw ExtractionError.shapeMismatch(layer: base.name, base: base.weight.shape, tuned: tuned.weight.shape)
        }
        let rows = base.outputSize, columns = base.inputSize
        let delta = zip(tuned.weight.values, base.weight.values).map { Double($0) - Double($1) }
        let deltaSquares = delta.reduce(0) { $0 + $1 * $1 }
        if deltaSquares == 0 { return nil }
        let factors = try TruncatedFactors.factor(delta, rows: rows, columns: columns, deltaSquares: deltaSquares, rank: rank,
                                                  algorithm: algorithm, what: "TUNED − BASE of layer \"\(base.name)\"")
        let r = factors.rank
        let a = Matrix(rows: r, columns: columns, values: factors.a.map { Float($0) })
        let b = Matrix(rows: rows, columns: r, values: factors.b.map { Float($0) })
        var magnitude: [Float]?
        if method == .dora { magnitude = norms(of: tuned.weight, along: normAxis) }
        let layer = AdapterLayer(name: base.name, a: a, b: b, magnitude: magnitude, scaling: 1)
        return (layer, ExtractedLayer(name: base.name, rank: r, deltaNorm: deltaSquares.squareRoot(), capturedShare: factors.capturedShare,
                                      factorSeconds: factors.seconds))
    }

    /// The provenance's `factorisation`: how the factors were computed (`suffix` adds what the format does after).
    public static func factorisation(_ algorithm: SVDAlgorithm, suffix: String = "") -> String {
        let svd = algorithm == .exact ? "truncated SVD (LAPACK dgesdd, float64)"
            : "randomized truncated SVD (Halko-Martinsson-Tropp: seeded Gaussian sample, oversampling \(RandomizedSVD.oversampling), power iterations with dgeqrf/dorgqr, dgesdd of Q^T·dW; exact dgesdd where min(out, in) < \(RandomizedSVD.worthwhileFraction)·(rank + \(RandomizedSVD.oversampling)); float64)"
        return svd + ", B = U_r·sqrt(S_r), A = sqrt(S_r)·V_r^T, scaling 1" + suffix
    }

    /// ‖W‖ per output row or per input column, in float64, rounded to float32.
    public static func norms(of weight: Matrix, along axis: NormAxis) -> [Float] {
        var sums = [Double](repeating: 0, count: axis == .output ? weight.rows : weight.columns)
        for r in 0..<weight.rows {
            for c in 0..<weight.columns {
                let x = Double(weight.values[r * weight.columns + c])
                sums[axis == .output ? r : c] += x * x
            }
        }
        return sums.map { Float($0.squareRoot()) }
    }

    /// Extracts an adapter from the checkpoint files `basePath` and `tunedPath`, one layer pair in
    /// memory at a time. Layers whose weights are equal are left out of the adapter; bias changes
    /// cannot be expressed and are reported in ``ExtractedLayer/biasChange``.
    public static func extract(base basePath: String, tuned tunedPath: String, rank: Int, method: AdapterMethod = .lora,
                               normAxis: NormAxis = .output, algorithm: SVDAlgorithm = .randomized) throws -> (adapter: Adapter, layers: [ExtractedLayer]) {
        guard rank >= 1 else { throw ExtractionError.invalidRank(rank) }
        let base = try CheckpointFile(path: basePath), tuned = try CheckpointFile(path: tunedPath)
        guard base.layerNames == tuned.layerNames else {
            throw ExtractionError.layersDiffer(base: basePath, tuned: tunedPath, baseLayers: base.layerNames, tunedLayers: tuned.layerNames)
        }
        var layers: [AdapterLayer] = [], reports: [ExtractedLayer] = []
        for name in base.layerNames {
            let b = try base.readLayer(name), t = try tuned.readLayer(name)
            guard b.weight.shape == t.weight.shape else { throw ExtractionError.shapeMismatch(layer: name, base: b.weight.shape, tuned: t.weight.shape) }
            let biasChange = zip(b.bias, t.bias).map { abs(Double($1) - Double($0)) }.max() ?? 0
            if case let (layer, extracted)? = try extractLayer(base: b, tuned: t, rank: rank, method: method, normAxis: normAxis, algorithm: algorithm) {
                var report = extracted
                report.biasChange = biasChange
                layers.append(layer)
                reports.append(report)
            } else if biasChange > 0 {
                reports.append(ExtractedLayer(name: name, rank: 0, deltaNorm: 0, capturedShare: 1, biasChange: biasChange))
            }
        }
        guard !layers.isEmpty else { throw ExtractionError.identical(base: basePath, tuned: tunedPath) }
        let provenance: [String: String] = [
            "operation": "extract", "tool": FormatV1.toolVersion, "base": basePath, "base_fingerprint": base.storedFingerprint,
            "tuned": tunedPath, "tuned_fingerprint": tuned.storedFingerprint, "rank": String(rank), "method": method.rawValue,
            "factorisation": factorisation(algorithm),
        ]
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let json = (try? encoder.encode(provenance)).map { String(decoding: $0, as: UTF8.self) }
        let adapter = Adapter(method: method, rank: rank, alpha: Double(rank), scaling: 1, normAxis: method == .dora ? normAxis : nil,
                              baseFingerprint: base.storedFingerprint, layers: layers, provenance: json)
        return (adapter, reports)
    }
}
