import Dispatch
import Foundation

/// Optional per-phase timers of a training step, for the roofline report (``Roofline``).
///
/// Off by default: then ``measure(_:flops:_:)`` is one load and one branch around the phase (the
/// name and the flop count are autoclosures, never evaluated), so the normal training path pays
/// nothing measurable. On, it adds the wall time of each named phase and its floating-point work.
/// Only the thread that called ``start()`` records (the phases themselves may fan out to workers;
/// their wall time is what is recorded), so other threads training at the same time are not timed.
enum StepProfiler {
    /// Whether phases are timed.
    nonisolated(unsafe) private(set) static var isEnabled = false
    /// Accumulated phases in first-seen order.
    nonisolated(unsafe) private(set) static var phases: [Phase] = []
    nonisolated(unsafe) private static var index: [String: Int] = [:]
    /// The thread that started timing.
    nonisolated(unsafe) private static var owner = pthread_self()

    /// One named phase's totals.
    struct Phase: Sendable {
        /// E.g. "fc1 forward GEMM x·Wᵀ".
        let name: String
        /// Sum of wall time over the calls.
        var seconds: Double
        /// Sum of floating-point operations (a multiply-add counts 2).
        var flops: Double
        /// Number of calls.
        var calls: Int
    }

    /// Starts timing with empty totals.
    static func start() {
        phases = []
        index = [:]
        owner = pthread_self()
        isEnabled = true
    }

    /// Stops timing and returns the totals.
    @discardableResult
    static func stop() -> [Phase] {
        isEnabled = false
        return phases
    }

    /// Runs `body`; when enabled, adds its wall time and `flops` to phase `name`.
    @inline(__always)
    static func measure<T>(_ name: @autoclosure () -> String, flops: @autoclosure () -> Double = 0, _ body: () throws -> T) rethrows -> T {
        guard isEnabled, pthread_equal(owner, pthread_self()) != 0 else { return try body() }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        add(name(), seconds: Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9, flops: flops())
        return result
    }

    /// The flops of a product of `m × k` by `k × n` (one multiply and one add per term).
    static func gemmFlops(m: Int, n: Int, k: Int) -> Double { 2 * Double(m) * Double(n) * Double(k) }

    private static func add(_ name: String, seconds: Double, flops: Double) {
        if let at = index[name] {
            phases[at].seconds += seconds
            phases[at].flops += flops
            phases[at].calls += 1
        } else {
            index[name] = phases.count
            phases.append(Phase(name: name, seconds: seconds, flops: flops, calls: 1))
        }
    }
}
