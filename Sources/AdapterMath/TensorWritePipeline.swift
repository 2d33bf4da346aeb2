import AdapterCore
import Dispatch

/// Writes tensors on a second thread while the caller reads and folds the next one, so writing
/// (and hashing, for writers that store digests) overlaps with compute instead of following it
/// and both cores stay busy.
///
/// One write is in flight at a time, and tensor bytes live in two reusable buffers that take
/// turns: one is being written while the caller fills the other. Their pages are faulted in once
/// per run rather than once per tensor, and peak memory is two of the largest tensor's bytes.
/// Writes happen in the order they are started; the first failure is thrown by the next
/// ``write(_:bytes:digest:)`` or by ``finish()``, and nothing is written after it.
final class TensorWritePipeline<Output: TensorWriter> {
    private let output: Output
    private let queue = DispatchQueue(label: "adaptool.tensor-write-pipeline")
    private let inFlight = DispatchGroup()
    /// Set by the write thread, read by the caller only after waiting on `inFlight`.
    nonisolated(unsafe) private var failure: Output.Failure?
    private var buffers: [UnsafeMutableRawBufferPointer?] = [nil, nil]
    /// Which buffer the caller fills next; the other one may be being written.
    private var turn = 0

    /// A pipeline writing to `output`.
    init(output: Output) {
        self.output = output
    }

    deinit {
        inFlight.wait()
        for buffer in buffers { buffer?.deallocate() }
    }

    /// The buffer to fill with the next tensor's `byteCount` bytes: never the one being written.
    /// Each of the two buffers grows to the largest tensor it has held and is then reused.
    func nextBuffer(byteCount: Int) -> UnsafeMutableRawBufferPointer {
        if let buffer = buffers[turn], buffer.count >= byteCount {
            return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<byteCount])
        }
        buffers[turn]?.deallocate()
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, byteCount), alignment: Self.alignment)
        buffers[turn] = buffer
        return UnsafeMutableRawBufferPointer(rebasing: buffer[0..<byteCount])
    }

    /// Waits for the write in flight (throwing its failure), then starts writing `bytes` (a
    /// buffer from ``nextBuffer(byteCount:)``, not touched again until the next call) on the
    /// write thread.
    func write(_ info: TensorInfo, bytes: UnsafeMutableRawBufferPointer, digest: String?) throws(Output.Failure) {
        try wait()
        turn = 1 - turn
        let bytes = UnsafeRawBufferPointer(bytes)
        // Only the write thread runs `job`, while the caller waits on `inFlight` before touching
        // `failure` or `bytes` again. The block must not retain the pipeline (and through it the
        // writer): libdispatch releases a block some time after running it, and an unfinished
        // writer removes its temporary file only when released, before the CLI exits. Unowned
        // unsafe is sound because deinit, like every write, waits for the block to finish first.
        nonisolated(unsafe) let job = { [unowned(unsafe) self] in
            do throws(Output.Failure) { try output.write(info, bytes: bytes, digest: digest) } catch { failure = error }
        }
        queue.async(group: inFlight) { job() }
    }

    /// Waits for the last write; throws the first failure.
    func finish() throws(Output.Failure) {
        try wait()
    }

    private func wait() throws(Output.Failure) {
        inFlight.wait()
        if let failure { throw failure }
    }

    /// Buffer alignment: enough for any element type loaded from it.
    private static var alignment: Int { 64 }
}
