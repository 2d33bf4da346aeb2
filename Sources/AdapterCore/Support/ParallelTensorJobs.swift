import Dispatch
import Foundation

/// Runs one job per tensor on every core, for bulk copies (import, export): each worker takes the
/// next tensor, largest first (so no big tensor is left to run alone at the end), and streams it
/// through its own small buffer, which it reuses for every tensor it handles. Peak memory is one
/// buffer per core whatever the tensors' sizes; each tensor is handled start to end by one
/// worker, so what it computes (a digest) does not depend on the schedule.
public enum ParallelTensorJobs {
    /// Bytes a worker moves per step: small enough to stay in the core's cache between the read,
    /// the hash and the write of a step, large enough that system calls cost nothing next to the
    /// copying (the v1 writer measured 1 MiB as the sweet spot, Benchmarks/bench-merge.sh).
    public static let chunkBytes = 1 << 20

    /// Calls `job(index, buffer)` once for every index of `sizes` (tensor byte counts), on up to
    /// one worker per core; `buffer` holds `min(chunkBytes, largest size)` bytes and is the
    /// worker's own. After the first failure no new job starts; it is thrown once every running
    /// job has ended.
    public static func run<Failure: Error>(sizes: [Int], _ job: (_ index: Int, _ buffer: UnsafeMutableRawBufferPointer) throws(Failure) -> Void) throws(Failure) {
        let order = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        let bufferBytes = max(1, min(chunkBytes, sizes.max() ?? 0))
        let queue = JobQueue<Failure>(order: order)
        let workers = min(ParallelRanges.workers, order.count)
        guard workers > 0 else { return }
        withoutActuallyEscaping(job) { job in
            nonisolated(unsafe) let work = job
            DispatchQueue.concurrentPerform(iterations: workers) { _ in
                let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferBytes, alignment: 64)
                defer { buffer.deallocate() }
                while let index = queue.next() {
                    do throws(Failure) { try work(index, buffer) } catch { queue.fail(error) }
                }
            }
        }
        if let failure = queue.failure { throw failure }
    }
}

extension ParallelTensorJobs {
    /// Moves `count` bytes through `buffer`, a piece at a time: `read(piece, offset)` fills each
    /// piece with the bytes from `offset`, then `write(piece, offset)` consumes it.
    public static func stream<Failure: Error>(count: Int, through buffer: UnsafeMutableRawBufferPointer,
                                              read: (UnsafeMutableRawBufferPointer, Int) throws(Failure) -> Void,
                                              write: (UnsafeRawBufferPointer, Int) throws(Failure) -> Void) throws(Failure) {
        var done = 0
        while done < count {
            let piece = UnsafeMutableRawBufferPointer(rebasing: buffer[..<min(buffer.count, count - done)])
            try read(piece, done)
            try write(UnsafeRawBufferPointer(piece), done)
            done += piece.count
        }
    }
}

/// `pwrite` for workers writing one output: they take turns. The kernel serializes writes to a
/// file anyway (the inode lock), and a writer waiting there spins, burning the core the other
/// worker needs for reading and hashing; waiting here sleeps instead.
public final class WriteTurns: @unchecked Sendable {
    private let lock = NSLock()

    /// Turns for one run of jobs.
    public init() {}

    /// Writes every byte of `bytes` at `offset` of `descriptor` in turn; nil, or what went wrong.
    public func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, at offset: Int) -> String? {
        lock.withLock { PositionedWrite.write(bytes, to: descriptor, at: offset) }
    }
}

/// The jobs still to start and the first failure, shared by the workers.
private final class JobQueue<Failure: Error>: @unchecked Sendable {
    private let lock = NSLock()
    private let order: [Int]
    private var position = 0
    private let failures = FirstFailure<Failure>()

    init(order: [Int]) { self.order = order }

    /// The next job's index, or nil when all have started or one has failed.
    func next() -> Int? {
        guard failures.value == nil else { return nil }
        return lock.withLock {
            guard position < order.count else { return nil }
            position += 1
            return order[position - 1]
        }
    }

    /// Records `error` unless an earlier failure was recorded.
    func fail(_ error: Failure) { failures.record(error) }

    /// The first failure (read once every worker has ended).
    var failure: Failure? { failures.value }
}

/// The first of the errors several threads may record (the rest are dropped): lets a job that
/// must throw one error type keep another's original error for the caller.
public final class FirstFailure<Failure: Error>: @unchecked Sendable {
    private let lock = NSLock()
    private var first: Failure?

    /// No failure yet.
    public init() {}

    /// Records `error` unless one was recorded before.
    public func record(_ error: Failure) { lock.withLock { if first == nil { first = error } } }

    /// The first error recorded, if any.
    public var value: Failure? { lock.withLock { first } }
}
