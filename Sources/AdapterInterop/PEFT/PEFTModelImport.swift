import AdapterCore
import Foundation

/// `adaptool import PEFT_DIR --base BASE` on any model: the PEFT adapter, matched against its base
/// (a v2 checkpoint, a model folder or a `.safetensors` file) by ``PEFTFactorSource``, written as a
/// v2 adapter whose factors keep the dtype PEFT stored them in and whose `base_fingerprint` is the
/// base's v2 model fingerprint. One factor in memory at a time.
public enum PEFTModelImport {
    /// What an import wrote.
    public struct Summary: Sendable {
        /// The method's registry name.
        public var method: String
        /// The targets written, in the base's tensor order.
        public var targets: [LowRankTarget]
        /// The base's v2 model fingerprint, recorded as `base_fingerprint`.
        public var baseFingerprint: String
        /// Notes for the user, one line each.
        public var notes: [String]
    }

    /// Whether `base` is a base this import handles (a v2 checkpoint, a model folder, or a
    /// `.safetensors` file that does not fit the v1 MLP layout); other bases take the v1 path.
    public static func handles(base: String) -> Bool {
        switch FileKind.detect(base) {
        case .checkpoint(let version): return version == FormatV2.version
        case .modelFolder: return true
        case .safetensors: return (try? SafetensorsFile(path: base)).map { !StateDictConversion.fitsMLPLayout($0) } ?? false
        default: return false
        }
    }

    /// Imports `folder` against `base` into `output` (atomically).
    public static func adapter(from folder: PEFTFolder, base: String, to output: String, options: WriteOptions = WriteOptions()) throws(InteropError) -> Summary {
        switch FileKind.detect(base) {
        case .checkpoint(FormatV2.version):
            let file = try InteropError.wrapping { () throws(FormatError) in try TensorCheckpointFile(path: base) }
            let source = try PEFTFactorSource(folder: folder, base: file, baseArchitecture: file.architecture)
            return try write(source, baseFingerprint: file.fingerprint, to: output, options: options)
        case .modelFolder(let model):
            let model = try ModelSource(folder: model)
            let source = try PEFTFactorSource(folder: folder, base: model.reader, baseArchitecture: model.architecture)
            return try write(source, baseFingerprint: model.fingerprint(), to: output, options: options)
        case .safetensors:
            let model = try ModelSource(file: SafetensorsFile(path: base))
            let source = try PEFTFactorSource(folder: folder, base: model.reader, baseArchitecture: nil)
            return try write(source, baseFingerprint: model.fingerprint(), to: output, options: options)
        case let other:
            throw .unknownSource(path: base, problem: "is \(other.summary); --base for a PEFT adapter on a transformer model is a v2 checkpoint (.h5), a model folder or a .safetensors file")
        }
    }

    private static func write(_ source: PEFTFactorSource, baseFingerprint: String, to output: String, options: WriteOptions) throws(InteropError) -> Summary {
        let manifest = source.manifest
        let writer = try InteropError.wrapping { () throws(FormatError) in
            try TensorAdapterWriter(path: output, method: manifest.method, baseFingerprint: baseFingerprint,
                                    createdBy: manifest.createdBy, provenance: manifest.provenance, options: options)
        }
        for target in manifest.targets {
            var factorBytes: [String: [UInt8]] = [:]
            for (role, info) in target.factors {
                let bytes = try source.factorBytes(tensor: target.tensor, role: role)
                try requireFinite(bytes, info, key: source.peftKey(tensor: target.tensor, role: role) ?? role, path: source.folder.weightsPath)
                factorBytes[role] = bytes
            }
            try InteropError.wrapping { () throws(FormatError) in try writer.write(target, factorBytes: factorBytes) }
        }
        try InteropError.wrapping { () throws(FormatError) in try writer.commit() }
        return Summary(method: manifest.method, targets: manifest.targets, baseFingerprint: baseFingerprint, notes: source.notes)
    }

    /// A factor holding NaN or ±∞ is refused, naming its PEFT key: no adaptool file holds one.
    private static func requireFinite(_ bytes: [UInt8], _ info: TensorInfo, key: String, path: String) throws(InteropError) {
        let values = info.dtype.float64Values(fromLittleEndian: bytes, count: info.elementCount) ?? []
        let bad = values.reduce(0) { $0 + ($1.isFinite ? 0 : 1) }
        if bad > 0 { throw .nonFinite(path: path, tensor: key, count: bad, total: values.count) }
    }
}
