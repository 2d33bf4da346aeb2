import AdapterKit
import ArgumentParser

/// `adaptool inspect`.
struct InspectCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "Say what a checkpoint, adapter or other HDF5 file holds.")

    func execute() throws {
        throw CleanExit.message("adaptool inspect is not available in this build yet")
    }
}
