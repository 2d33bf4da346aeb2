import AdapterKit
import ArgumentParser

/// `adaptool export`.
struct ExportCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "export", abstract: "Export to safetensors or a PEFT adapter folder.")

    func execute() throws {
        throw CleanExit.message("adaptool export is not available in this build yet")
    }
}
