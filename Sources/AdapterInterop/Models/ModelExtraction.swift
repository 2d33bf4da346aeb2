import AdapterCore
import AdapterMath
import AdapterMethods
import Foundation

/// `adaptool extract BASE TUNED --rank R -o adapter.h5` on any model: both sides opened with
/// ``TensorSources``, every changed 2-D weight factored by ``TensorExtraction`` (truncated SVD in
/// float64), written as a v2 adapter whose factors are rounded once to float32 and whose
/// `base_fingerprint` is the base's v2 model fingerprint. GPT-2-family weights (`[in, out]`) get
/// `in_out` targets, so the adapter exports as a PEFT folder with `fan_in_fan_out`.
public enum ModelExtraction {
    /// What an extraction wrote.
    public struct Summary: Sendable {
        /// The method's registry name.
        public var method: String
        /// Per target: rank used, ‖ΔW‖_F and the share of ‖ΔW‖² captured.
        public var targets: [ExtractedLayer]
        /// Tensors that changed (or exist on one side only, or changed shape) but that no
        /// low-rank target can carry: norms, biases, embeddings of another shape, …
        public var inexpressible: [String]
        /// The base's v2 model fingerprint, recorded as `base_fingerprint` (nil for a v1 base).
        public var baseFingerprint: String?
    }

    /// Whether extraction from `base` and `tuned` is done here: when either is a v2 checkpoint, a
    /// model folder or a `.safetensors` file (two v1 checkpoints keep the v1 extraction).
    public static func handles(_ base: String, _ tuned: String) -> Bool {
        [FileKind.detect(base), FileKind.detect(tuned)].contains { TensorSources.isModel($0) && !$0.isVersion1 }
    }

    /// Extracts a rank-`rank` adapter of `method` from `tuned` − `base` into `output` (atomically),
    /// by the randomized SVD or, with `algorithm: .exact`, LAPACK's full one.
    public static func run(base basePath: String, tuned tunedPath: String, rank: Int, method: any LowRankMethod.Type,
                           output: String, options: WriteOptions = WriteOptions(), algorithm: SVDAlgorithm = .randomized) throws -> Summary {
        let base = try TensorSources.open(basePath), tuned = try TensorSources.open(tunedPath)
        guard base.reader.tensors.contains(where: { tuned.reader.info(named: $0.name)?.shape == $0.shape }) else {
            throw InteropError.unknownSource(path: tunedPath, problem: "shares no tensor (same name and shape) with the base \(basePath); extract needs a fine-tune of that same model")
        }
        let layout: WeightLayout = base.storesWeightsInputMajor ? .inputMajor : .outputMajor
        let (targets, inexpressible) = try TensorExtraction.extract(base: base.reader, tuned: tuned.reader, labels: (basePath, tunedPath),
                                                                     rank: rank, method: method, algorithm: algorithm, layout: { _ in layout })
        let fingerprint = try base.v2Fingerprint()
        let writer = try TensorAdapterWriter(path: output, method: method.name, baseFingerprint: fingerprint,
                                             provenance: provenance(base: base, tuned: tuned, rank: rank, method: method, algorithm: algorithm), options: options)
        for extracted in targets {
            if let info = base.reader.info(named: extracted.target.tensor) {
                try LowRankMethods.validate(extracted.target, method: method, base: info)
            }
            try writer.write(extracted.target, factorValues: extracted.factors.values)
        }
        try writer.commit()
        return Summary(method: method.name, targets: targets.map(\.report), inexpressible: inexpressible, baseFingerprint: fingerprint)
    }

    /// The provenance JSON: inputs, rank, method and how the factors were computed.
    private static func provenance(base: TensorSource, tuned: TensorSource, rank: Int, method: any LowRankMethod.Type, algorithm: SVDAlgorithm) -> String {
        JSONValue.object([
            ("operation", .string("extract")), ("tool", .string(FormatV1.toolVersion)),
            ("base", .string(base.path)), ("tuned", .string(tuned.path)), ("architecture", .string(base.architecture)),
            ("rank", .number(Double(rank))), ("method", .string(method.name)),
            ("factorisation", .string(AdapterExtraction.factorisation(algorithm, suffix: ", rounded once to float32"))),
        ]).serialized
    }
}
