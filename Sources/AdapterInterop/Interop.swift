import AdapterCore
import Foundation

/// The conversions behind `adaptool import` and `adaptool export`, choosing the direction from
/// what the source is.
public enum Interop {
    /// What an import produced.
    public enum Imported: Sendable {
        /// A checkpoint with this fingerprint and these layers.
        case checkpoint(fingerprint: String, layers: [String])
        /// An adapter (method, layers, base fingerprint).
        case adapter(Adapter)
        /// A format v2 checkpoint of named tensors (a model of any architecture).
        case tensorCheckpoint(ModelImport.Summary)
        /// A format v2 adapter on such a model.
        case tensorAdapter(PEFTModelImport.Summary)
        /// A v1 checkpoint rewritten as v2 (architecture mlp), with its v2 fingerprint.
        case upgradedCheckpoint(fingerprint: String)
        /// A v1 adapter rewritten as v2.
        case upgradedAdapter
    }

    /// What an import produced, plus notes for the user.
    public struct ImportResult: Sendable {
        /// The kind of output and its key facts.
        public var imported: Imported
        /// Notes and warnings, one line each.
        public var notes: [String]
    }

    /// Imports `source` into `output` (HDF5, atomically). `source` is a Hugging Face model folder
    /// or a `.safetensors` file of any architecture (→ a v2 checkpoint; a state dict that fits the
    /// v1 MLP layout stays a v1 checkpoint), or a PEFT folder / its config / its weights (→ an
    /// adapter against `base`: v2 when the base is a v2 checkpoint, a model folder or a non-MLP
    /// `.safetensors` file, else v1 as ``PEFTImport`` describes).
    public static func importFile(_ source: String, to output: String, base: String? = nil, activation: String = "relu",
                                  options: WriteOptions = WriteOptions()) throws(InteropError) -> ImportResult {
        guard activation == "relu" else {
            throw .unrepresentable(path: source, what: "activation \"\(activation)\"", reason: "format v1 defines only \"relu\"")
        }
        let kind = FileKind.detect(source)
        if case .modelFolder(let folder) = kind {
            let summary = try ModelImport.checkpoint(from: ModelSource(folder: folder), to: output, options: options)
            return ImportResult(imported: .tensorCheckpoint(summary), notes: summary.notes + baseIgnored(base))
        }
        if case .other(let what) = kind, FileKind.isMistakenInput(what) {
            throw .unknownSource(path: source, problem: "is \(what); import reads a Hugging Face model folder (config.json + model.safetensors or its index), a .safetensors file or a PEFT adapter folder")
        }
        if let folder = try PEFTFolder.locate(source) {
            if let base, PEFTModelImport.handles(base: base) {
                let summary = try PEFTModelImport.adapter(from: folder, base: base, to: output, options: options)
                return ImportResult(imported: .tensorAdapter(summary), notes: summary.notes)
            }
            let reference = try base.map { path throws(InteropError) in try BaseReference(path: path) }
            let result = try PEFTImport.adapter(from: folder, base: reference)
            try InteropError.wrapping { () throws(FormatError) in try result.adapter.write(to: output, options: options) }
            return ImportResult(imported: .adapter(result.adapter), notes: result.notes)
        }
        if case .checkpoint(let version) = kind, version == FormatV1.version {
            let fingerprint = try InteropError.wrapping { () throws(FormatError) in try FormatUpgrade.checkpoint(from: source, to: output, options: options) }
            return ImportResult(imported: .upgradedCheckpoint(fingerprint: fingerprint), notes: baseIgnored(base))
        }
        if case .adapter(let version) = kind, version == FormatV1.version {
            try InteropError.wrapping { () throws(FormatError) in
                let baseFile = try base.map { path throws(FormatError) in try CheckpointFile(path: path) }
                try FormatUpgrade.adapter(from: source, base: baseFile, to: output, options: options)
            }
            return ImportResult(imported: .upgradedAdapter, notes: base == nil ? ["note: no --base: the v2 adapter records no base fingerprint; pass the v1 checkpoint it was trained on to record it"] : [])
        }
        if case .checkpoint(let version) = kind, version == FormatV2.version {
            throw .unknownSource(path: source, problem: "is already a format v2 checkpoint, so there is nothing to import; adaptool export writes it out as a model folder or .safetensors")
        }
        if case .adapter(let version) = kind, version == FormatV2.version {
            throw .unknownSource(path: source, problem: "is already a format v2 adapter, so there is nothing to import; adaptool export writes it out as a PEFT folder")
        }
        if BaseReference.isHDF5(source) {
            throw .unknownSource(path: source, problem: "is an HDF5 file but not a format v1 checkpoint or adapter; import reads models, safetensors files, PEFT folders and v1 files (to upgrade them to v2)")
        }
        let file = try SafetensorsFile(path: source)
        if file.header.tensors.contains(where: { $0.name.hasPrefix(PEFTKey.prefix) }) {
            throw .unknownSource(path: source, problem: "looks like PEFT adapter weights (keys start with \"\(PEFTKey.prefix)\"); pass the adapter folder holding it and adapter_config.json")
        }
        guard StateDictConversion.fitsMLPLayout(file) else {
            let summary = try ModelImport.checkpoint(from: ModelSource(file: file), to: output, options: options)
            return ImportResult(imported: .tensorCheckpoint(summary), notes: summary.notes + baseIgnored(base))
        }
        let fingerprint = try StateDictConversion.importCheckpoint(from: file, to: output, activation: activation, options: options)
        return ImportResult(imported: .checkpoint(fingerprint: fingerprint, layers: try StateDictLayout(of: file).layers.map(\.name)), notes: baseIgnored(base))
    }

    private static func baseIgnored(_ base: String?) -> [String] {
        base == nil ? [] : ["note: --base is only used for PEFT adapters; ignored for a model or state dict"]
    }

    /// What an export wrote.
    public enum ExportKind: String, Sendable {
        /// A safetensors state dict.
        case stateDict = "safetensors state dict"
        /// A PEFT adapter folder.
        case peftFolder = "PEFT adapter folder"
    }

    /// Exports the checkpoint or adapter at `source` to `destination`: a checkpoint becomes a
    /// safetensors state dict, an adapter a PEFT folder. Tensors are stored as `dtype`.
    @discardableResult
    public static func export(_ source: String, to destination: String, dtype: SafetensorsDType = .f32,
                              options: WriteOptions = WriteOptions()) throws(InteropError) -> ExportKind {
        try InteropError.wrapping { () throws(InputFileError) in try InputFile.requireRegularFile(source, expected: "an HDF5 file") }
        if !BaseReference.isHDF5(source) {
            throw .unknownSource(path: source, problem: "is not an HDF5 file; export takes an adaptool checkpoint or adapter (.h5), and adaptool import reads safetensors and PEFT folders")
        }
        do {
            _ = try CheckpointFile(path: source)
        } catch .wrongKind(_, _, let found) where found == FormatV1.adapterFormat {
            let adapter = try InteropError.wrapping { () throws(FormatError) in try Adapter.read(from: source) }
            try PEFTExport.write(adapter, to: destination, source: source, dtype: dtype, options: options)
            return .peftFolder
        } catch {
            throw .format(error)
        }
        try StateDictConversion.exportCheckpoint(at: source, to: destination, dtype: dtype, options: options)
        return .stateDict
    }
}
