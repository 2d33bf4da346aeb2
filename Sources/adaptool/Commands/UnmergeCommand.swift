import AdapterKit
import ArgumentParser

/// `adaptool unmerge`.
struct UnmergeCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "unmerge", abstract: "Remove a merged LoRA adapter from a checkpoint.")

    func execute() throws {
        throw CleanExit.message("adaptool unmerge is not available in this build yet")
    }
}
