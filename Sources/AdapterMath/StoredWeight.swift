import AdapterCore
import Foundation

/// Moving a stored 2-D weight between its file bytes (any floating dtype, `[out, in]` or
/// `[in, out]`) and the `[out, in]` row-major float64 buffer the methods fold, on every core.
/// Widening is exact; narrowing rounds once (``TensorDType/narrow(_:into:)``).
enum StoredWeight {
    /// Elements per parallel chunk: large enough that hand-off costs nothing next to the work.
    static let chunkElements = 1 << 16
    /// Stored rows transposed together: their scattered writes then fill whole cache lines.
    static let transposeRows = 32

    /// Widens `raw` (a `[out, in]` weight, or `[in, out]` for ``WeightLayout/inputMajor``) into
    /// `values` as `[out, in]`.
    static func widen(_ raw: UnsafeRawBufferPointer, dtype: TensorDType, layout: WeightLayout, out: Int, inputs: Int,
                      into values: UnsafeMutableBufferPointer<Double>) {
        let width = dtype.byteWidth
        guard layout == .inputMajor else {
            ParallelRanges.forEach(count: values.count, minimumChunk: chunkElements) { range in
                dtype.widen(UnsafeRawBufferPointer(rebasing: raw[range.lowerBound * width..<range.upperBound * width]),
                            into: UnsafeMutableBufferPointer(rebasing: values[range]))
            }
            return
        }
        // Stored row r (input r) holds `out` elements; it becomes column r.
        forEachRowBlock(rows: inputs, columns: out) { rows, block in
            dtype.widen(UnsafeRawBufferPointer(rebasing: raw[rows.lowerBound * out * width..<rows.upperBound * out * width]), into: block)
            for o in 0..<out {
                for (j, r) in rows.enumerated() { values[o * inputs + r] = block[j * out + o] }
            }
        }
    }

    /// Narrows `values` (`[out, in]`) into `raw` in the stored layout and dtype.
    static func narrow(_ values: UnsafeBufferPointer<Double>, dtype: TensorDType, layout: WeightLayout, out: Int, inputs: Int,
                       into raw: UnsafeMutableRawBufferPointer) {
        let width = dtype.byteWidth
        guard layout == .inputMajor else {
            ParallelRanges.forEach(count: values.count, minimumChunk: chunkElements) { range in
                dtype.narrow(UnsafeBufferPointer(rebasing: values[range]),
                             into: UnsafeMutableRawBufferPointer(rebasing: raw[range.lowerBound * width..<range.upperBound * width]))
            }
            return
        }
        forEachRowBlock(rows: inputs, columns: out) { rows, block in
            for o in 0..<out {
                for (j, r) in rows.enumerated() { block[j * out + o] = values[o * inputs + r] }
            }
            dtype.narrow(UnsafeBufferPointer(block),
                         into: UnsafeMutableRawBufferPointer(rebasing: raw[rows.lowerBound * out * width..<rows.upperBound * out * width]))
        }
    }

    /// Calls `body` for blocks of ``transposeRows`` rows of a `[rows, columns]` array, in
    /// parallel, each with a scratch buffer of exactly that block's `count × columns` doubles.
    private static func forEachRowBlock(rows: Int, columns: Int, _ body: (Range<Int>, UnsafeMutableBufferPointer<Double>) -> Void) {
        let blocks = (rows + transposeRows - 1) / transposeRows
        ParallelRanges.forEach(count: blocks, minimumChunk: max(1, chunkElements / max(1, transposeRows * columns))) { range in
            var scratch = [Double](repeating: 0, count: transposeRows * columns)
            scratch.withUnsafeMutableBufferPointer { scratch in
                for block in range {
                    let start = block * transposeRows, end = min(rows, start + transposeRows)
                    body(start..<end, UnsafeMutableBufferPointer(rebasing: scratch[0..<(end - start) * columns]))
                }
            }
        }
    }

    /// The largest magnitude in `values` (0 when empty), or nil when any value is NaN or infinite.
    static func largestMagnitude(_ values: UnsafeBufferPointer<Double>) -> Double? {
        let lock = NSLock()
        nonisolated(unsafe) var largest = 0.0
        ParallelRanges.forEach(count: values.count, minimumChunk: chunkElements) { range in
            var local = 0.0
            // NaN fails every comparison, so it is caught by isFinite on the running maximum.
            for index in range {
                let magnitude = abs(values[index])
                if !(magnitude <= local) { local = magnitude.isNaN ? .infinity : magnitude }
            }
            lock.withLock { largest = max(largest, local) }
        }
        return largest.isFinite ? largest : nil
    }

    /// Whether `magnitude` (finite) stays finite once rounded to `dtype` (rounding is monotonic,
    /// so the largest magnitude decides for the whole tensor).
    static func fits(_ magnitude: Double, in dtype: TensorDType) -> Bool {
        var narrowed = [UInt8](repeating: 0, count: 8)
        var back = [0.0]
        narrowed.withUnsafeMutableBytes { raw in [magnitude].withUnsafeBufferPointer { dtype.narrow($0, into: raw) } }
        narrowed.withUnsafeBytes { raw in back.withUnsafeMutableBufferPointer { dtype.widen(raw, into: $0) } }
        return back[0].isFinite
    }
}
