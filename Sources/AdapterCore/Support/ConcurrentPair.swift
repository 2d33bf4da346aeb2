import Dispatch

/// Runs two independent pieces of work at the same time and waits for both.
enum ConcurrentPair {
    /// Runs `first` and `second` concurrently; returns the error `first` threw, if any.
    ///
    /// The closures must not touch the same mutable state: each is run exactly once, on its own
    /// thread, and both have finished when this returns.
    static func run(first: () throws(FormatError) -> Void, second: () -> Void) -> FormatError? {
        withoutActuallyEscaping(first) { first in
            withoutActuallyEscaping(second) { second in
                nonisolated(unsafe) let work = (first, second)
                nonisolated(unsafe) var failure: FormatError?
                DispatchQueue.concurrentPerform(iterations: 2) { index in
                    if index == 0 {
                        do throws(FormatError) { try work.0() } catch { failure = error }
                    } else {
                        work.1()
                    }
                }
                return failure
            }
        }
    }
}
