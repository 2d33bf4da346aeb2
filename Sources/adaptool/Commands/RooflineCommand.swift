import AdapterKit
import ArgumentParser

/// `adaptool roofline` (hidden; `make bench` prints it): where a training step's time goes.
struct RooflineCommand: AdaptoolCommand {
    static let configuration = CommandConfiguration(
        commandName: "roofline",
        abstract: "Time each phase of a base, LoRA r4 and DoRA r4 training step next to a large SGEMM (for make bench).",
        shouldDisplay: false)

    @Option(help: "Timed steps per job.")
    var steps = 300

    func execute() throws {
        for line in try Roofline.report(steps: steps) { print(line) }
    }
}
