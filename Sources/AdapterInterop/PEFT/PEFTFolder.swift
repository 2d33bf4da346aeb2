import AdapterCore
import Foundation

/// The two files of a PEFT adapter (`adapter_config.json`, `adapter_model.safetensors`), found
/// from the folder or either file.
public struct PEFTFolder: Sendable, Equatable {
    /// File names PEFT's `save_pretrained` writes.
    public static let configName = "adapter_config.json"
    /// The safetensors weights.
    public static let weightsName = "adapter_model.safetensors"

    /// The largest `adapter_config.json` read: PEFT writes a few KiB; a bigger file is not a config
    /// and must not be read whole into memory.
    public static let maximumConfigBytes = 16 << 20

    /// The folder.
    public var folder: String

    /// The adapter in `folder` (not checked; see ``locate(_:)``).
    public init(folder: String) { self.folder = folder }
    /// Its `adapter_config.json`.
    public var configPath: String { folder + "/" + Self.configName }
    /// Its `adapter_model.safetensors`.
    public var weightsPath: String { folder + "/" + Self.weightsName }

    /// The PEFT folder `path` names (the folder, its config or its weights), or nil when `path`
    /// is some other file; a folder missing one of the two files is an error.
    public static func locate(_ path: String) throws(InteropError) -> PEFTFolder? {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw .format(.io(path: path, problem: "does not exist"))
        }
        let url = URL(fileURLWithPath: path)
        let folder: String
        if isFolder.boolValue {
            folder = url.path
        } else if [configName, weightsName].contains(url.lastPathComponent) {
            folder = url.deletingLastPathComponent().path
        } else {
            return nil
        }
        let result = PEFTFolder(folder: folder)
        if !FileManager.default.fileExists(atPath: result.weightsPath) {
            let pickle = folder + "/adapter_model.bin"
            let problem = FileManager.default.fileExists(atPath: pickle)
                ? "holds adapter_model.bin (a pickle, which adaptool never loads); save the adapter with safetensors (PEFT's default) and retry"
                : "is not a PEFT adapter folder: \(weightsName) is missing"
            throw .unknownSource(path: folder, problem: problem)
        }
        guard FileManager.default.fileExists(atPath: result.configPath) else {
            throw .unknownSource(path: folder, problem: "has \(weightsName) but no \(configName); PEFT needs both (r, lora_alpha, use_dora, use_rslora live in the config)")
        }
        return result
    }

    /// Reads and validates the config.
    public func config() throws(InteropError) -> PEFTConfig {
        let data = try InteropError.wrapping { () throws(InputFileError) in
            try InputFile.contents(of: configPath, expected: "a JSON file", limit: Self.maximumConfigBytes)
        }
        return try PEFTConfig(json: data, path: configPath)
    }
}
