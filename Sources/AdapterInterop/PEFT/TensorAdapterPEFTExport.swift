import AdapterCore
import AdapterMethods
import Foundation

/// `adaptool export ADAPTER.h5 -o PEFT_DIR` for a format v2 adapter: a PEFT folder that
/// `PeftModel.from_pretrained` loads. Each target `M.weight` becomes module `M`; its factors are
/// written under `base_model.model.M` + the method's PEFT key suffix per role, byte for byte in
/// their stored dtype; adapter_config.json (``PEFTExport/config(modules:rank:alpha:scaling:flags:fanInFanOut:path:)``)
/// gives PEFT the same rank and scaling for every module and the method's flag.
public enum TensorAdapterPEFTExport {
    /// What an export wrote.
    public struct Summary: Sendable {
        /// The method's registry name.
        public var method: String
        /// The modules written, in target order.
        public var modules: [String]
        /// The nominal rank and scaling of adapter_config.json (the most common ones).
        public var rank: Int, scaling: Double
        /// Whether the targets are `[in, out]` (fan_in_fan_out).
        public var fanInFanOut: Bool
    }

    /// The suffix a PEFT module name drops from its weight tensor's name.
    static let weightSuffix = ".weight"

    /// Writes `adapter` as the PEFT folder `destination` (atomically; an existing folder is never replaced).
    public static func run(_ adapter: TensorAdapterFile, to destination: String, options: WriteOptions = WriteOptions()) throws(InteropError) -> Summary {
        let path = adapter.path
        let manifest = adapter.manifest
        let method: any LowRankMethod.Type
        do { method = try LowRankMethods.named(manifest.method) } catch {
            throw .unrepresentable(path: path, what: "method \"\(manifest.method)\"", reason: error.description)
        }
        let layouts = Set(manifest.targets.map(\.layout))
        guard layouts.count == 1, let layout = layouts.first else {
            throw .unrepresentable(path: path, what: "targets in both layouts ([out, in] and [in, out])",
                                   reason: "adapter_config.json has one fan_in_fan_out for every module; export the targets of each layout as separate adapters")
        }
        var modules: [PEFTExport.ModuleSetting] = []
        var tensors: [TensorInfo] = []
        for target in manifest.targets {
            guard target.tensor.hasSuffix(weightSuffix), target.tensor.count > weightSuffix.count else {
                throw .unrepresentable(path: path, what: "target \"\(target.tensor)\"", reason: "PEFT adapts modules, whose weight tensors are named <module>\(weightSuffix)")
            }
            let module = String(target.tensor.dropLast(weightSuffix.count))
            modules.append(.init(module: module, rank: target.rank, scaling: target.scaling))
            for role in method.roles {
                guard let factor = target.factors[role], let info = TensorInfo(name: try key(module: module, role: role, method: method, path: path),
                                                                              dtype: factor.dtype, shape: factor.shape) else {
                    throw .missingTensor(path: path, tensor: target.tensor, expected: "a \(role) factor (method \(method.name))")
                }
                tensors.append(info)
            }
        }
        let rank = mostCommon(manifest.targets.map(\.rank), otherwise: 1), scaling = mostCommon(manifest.targets.map(\.scaling), otherwise: 1)
        var flags: [String: Bool] = [:]
        for registered in LowRankMethods.registered { if let flag = registered.peftConfigFlag { flags[flag] = ObjectIdentifier(registered) == ObjectIdentifier(method) } }
        let config = try PEFTExport.config(modules: modules, rank: rank, alpha: nil, scaling: scaling, flags: flags,
                                           fanInFanOut: layout == .inputMajor, path: path)
        let folder = ModelFolderLayout(shards: [.init(fileName: PEFTFolder.weightsName, metadata: metadata(of: manifest), tensors: tensors)],
                                       files: [.init(name: PEFTFolder.configName, contents: .bytes(Array(config.prettyPrinted.utf8)))],
                                       writesIndex: false)
        let writer = try ModelFolderWriter(path: destination, layout: folder, options: options)
        let factors = manifest.targets.flatMap { target in method.roles.map { (target.tensor, $0) } }
        for ((tensor, role), info) in zip(factors, tensors) {
            let bytes = try InteropError.wrapping { () throws(FormatError) in try adapter.factorBytes(tensor: tensor, role: role) }
            do { try bytes.withUnsafeBytes { try writer.write(info, bytes: $0, digest: nil) } } catch let error as InteropError { throw error } catch {
                throw .format(.io(path: destination, problem: String(describing: error)))
            }
        }
        try writer.finish()
        return Summary(method: method.name, modules: modules.map(\.module), rank: rank, scaling: scaling, fanInFanOut: layout == .inputMajor)
    }

    /// PEFT's key for `role` of `module`: the prefix, the module, the method's first suffix for the role.
    private static func key(module: String, role: String, method: any LowRankMethod.Type, path: String) throws(InteropError) -> String {
        guard let suffix = method.peftKeySuffixes.first(where: { $0.role == role })?.suffix else {
            throw .notExpressibleInPEFT(path: path, what: "factor \"\(role)\" of method \(method.name)", reason: "PEFT has no key for it")
        }
        return PEFTKey.prefix + module + suffix
    }

    /// The safetensors `__metadata__`: transformers' format tag and the base the adapter was made for.
    private static func metadata(of manifest: LowRankManifest) -> [String: String] {
        var metadata = ["format": "pt"]
        if let fingerprint = manifest.baseFingerprint { metadata[PEFTImport.MetadataKey.baseFingerprint] = fingerprint }
        return metadata
    }

    /// The most frequent value (ties go to the one that appears first), or `otherwise` for none.
    static func mostCommon<T: Hashable>(_ values: [T], otherwise: T) -> T {
        var counts: [T: Int] = [:]
        for value in values { counts[value, default: 0] += 1 }
        return values.max { counts[$0, default: 0] < counts[$1, default: 0] } ?? otherwise
    }
}
