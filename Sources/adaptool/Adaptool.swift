import AdapterKit
import ArgumentParser
import Foundation

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
            RooflineCommand.self,
        ])

    /// Parses and runs the command line. Help and `--version` print as usual; a usage error (a
    /// missing or malformed argument, a value `validate()` refuses) becomes one line on stderr, like
    /// every runtime error, pointing to the subcommand's own help instead of dumping the usage.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
        } catch {
            guard exitCode(for: error) != .success, !(error is ExitCode) else { exit(withError: error) }
            Console.error(UsageError.line(for: message(for: error), arguments: arguments, root: self))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
    }
}
