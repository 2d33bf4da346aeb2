import Dispatch
import Foundation

/// Runs element-wise work over `0..<count` on every core: the range is cut into contiguous
/// chunks, one per worker, each processed by `body`. The caller guarantees chunks touch disjoint
/// memory (that is why `body` need not be `Sendable`).
public enum ParallelRanges {
    /// Cores this process may use.
    public static let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Calls `body` once per chunk of `0..<count`, in parallel when `count` is at least
    /// `2 × minimumChunk` (below that, thread hand-off costs more than it saves).
    public static func forEach(count: Int, minimumChunk: Int, _ body: (Range<Int>) -> Void) {
        let parts = min(workers, max(1, count / max(1, minimumChunk)))
        guard parts > 1 else {
            if count > 0 { body(0..<count) }
            return
        }
        let size = (count + parts - 1) / parts
        withoutActuallyEscaping(body) { body in
            nonisolated(unsafe) let work = body
            DispatchQueue.concurrentPerform(iterations: parts) { part in
                let start = part * size, end = min(count, start + size)
                if start < end { work(start..<end) }
            }
        }
    }
}

