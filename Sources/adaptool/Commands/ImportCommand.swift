import AdapterKit
import ArgumentParser

/// `adaptool import`.
struct ImportCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "import", abstract: "Import PEFT adapters or safetensors state dicts.")

    func execute() throws {
        throw CleanExit.message("adaptool import is not available in this build yet")
    }
}
