import AdapterKit
import ArgumentParser

/// `adaptool extract`.
struct ExtractCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "extract", abstract: "Extract a low-rank adapter from a base and a fine-tuned checkpoint.")

    func execute() throws {
        throw CleanExit.message("adaptool extract is not available in this build yet")
    }
}
