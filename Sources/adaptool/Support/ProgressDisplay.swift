import AdapterKit
import Foundation

/// Shows training progress on stderr: a live, rewritten line on a terminal; one plain line per
/// epoch otherwise (logs, pipes); nothing with `--quiet`.
final class ProgressDisplay {
    private let isLive: Bool
    private let isQuiet: Bool
    private let label: String
    private var lastDraw = Date.distantPast
    /// Redraws at most this often so the display costs nothing next to training.
    private static let interval: TimeInterval = 0.1

    init(label: String, quiet: Bool) {
        self.label = label
        isQuiet = quiet
        isLive = !quiet && Console.stderrIsTerminal
    }

    /// Reports one training step.
    func update(_ progress: TrainingProgress) {
        guard !isQuiet else { return }
        if let epoch = progress.finishedEpoch {
            let line = String(format: "%@ epoch %d/%d  loss %.4f  accuracy %.2f %%  %.0f img/s  %.1f s",
                              label, epoch.epoch, progress.epochs, epoch.loss, epoch.accuracy, epoch.samplesPerSecond, epoch.seconds)
            Console.note(isLive ? "\r\u{1B}[2K" + line : line)
            return
        }
        guard isLive, Date().timeIntervalSince(lastDraw) >= Self.interval else { return }
        lastDraw = Date()
        let line = String(format: "%@ epoch %d/%d  batch %d/%d  loss %.4f  accuracy %.2f %%  %.0f img/s  ETA %@",
                          label, progress.epoch, progress.epochs, progress.batch, progress.batches, progress.loss, progress.accuracy,
                          progress.samplesPerSecond, Self.duration(progress.remainingSeconds))
        Console.note("\r\u{1B}[2K" + line, terminator: "")
    }

    /// `m:ss`.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.isFinite ? max(0, seconds.rounded()) : 0)
        return String(format: "%d:%02d", whole / 60, whole % 60)
    }
}
