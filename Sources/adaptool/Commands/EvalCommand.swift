import AdapterKit
import ArgumentParser

/// `adaptool eval`.
struct EvalCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "eval", abstract: "Evaluate a checkpoint (optionally with an adapter) on the CIFAR-10 test set.")

    func execute() throws {
        throw CleanExit.message("adaptool eval is not available in this build yet")
    }
}
