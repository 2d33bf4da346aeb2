import AdapterKit
import ArgumentParser

/// `adaptool merge`.
struct MergeCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "merge", abstract: "Fold LoRA/DoRA adapters into base weights.")

    func execute() throws {
        throw CleanExit.message("adaptool merge is not available in this build yet")
    }
}
