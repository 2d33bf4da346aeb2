import AdapterCore
import Foundation

extension ModelFolder {
    /// The largest `config.json` read: transformers writes a few KiB; a bigger file is not a
    /// model config and must not be read whole into memory.
    public static let maximumConfigBytes = 16 << 20

    /// `config.json` parsed (refused above ``maximumConfigBytes``, or when not a JSON object).
    public func config() throws(InteropError) -> JSONValue {
        let bytes = try InteropError.wrapping { () throws(InputFileError) in
            try InputFile.contents(of: configPath, expected: "a JSON file", limit: Self.maximumConfigBytes)
        }
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch {
            throw .badConfig(path: configPath, field: "config.json", problem: "is not valid JSON (\(error))")
        }
        guard case .object = document else { throw .badConfig(path: configPath, field: "config.json", problem: "is not a JSON object") }
        return document
    }

    /// `config.json`'s `model_type` (`llama`, `gpt2`, …), or nil when it has none.
    public func modelType() throws(InteropError) -> String? {
        guard case .string(let type)? = try config()["model_type"] else { return nil }
        return type
    }
}

extension ModelFolder {
    /// The shard index transformers writes beside sharded weights.
    public static let indexName = "model.safetensors.index.json"
}
