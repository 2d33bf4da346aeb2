import ArgumentParser
import AdapterKit

@main
struct Adaptool: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "adaptool",
        abstract: "Inspect, train, merge, diff and convert LoRA/DoRA adapters.",
        subcommands: [])
}
