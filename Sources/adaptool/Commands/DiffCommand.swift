import AdapterKit
import ArgumentParser

/// `adaptool diff`.
struct DiffCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "diff", abstract: "Compare two checkpoints or two adapters.")

    func execute() throws {
        throw CleanExit.message("adaptool diff is not available in this build yet")
    }
}
