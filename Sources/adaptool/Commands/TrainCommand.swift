import AdapterKit
import ArgumentParser

/// `adaptool train`.
struct TrainCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "train", abstract: "Train a base MLP, a LoRA or DoRA adapter, or a full fine-tune on CIFAR-10.")

    func execute() throws {
        throw CleanExit.message("adaptool train is not available in this build yet")
    }
}
