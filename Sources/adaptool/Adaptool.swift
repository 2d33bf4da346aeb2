import AdapterKit
import ArgumentParser

@main
struct Adaptool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adaptool",
        abstract: "Inspect, train, merge, diff and convert LoRA/DoRA adapters for MLP checkpoints.",
        version: FormatV1.toolVersion,
        subcommands: [
            InspectCommand.self,
            TrainCommand.self,
            EvalCommand.self,
            MergeCommand.self,
            UnmergeCommand.self,
            DiffCommand.self,
            ExtractCommand.self,
            ImportCommand.self,
            ExportCommand.self,
        ])
}
