import AdapterCore
import AdapterMethods
import Foundation

extension TensorMerge {
    /// One adapter's term with its factor values loaded, and for each role the elements per
    /// output row when the role is sliced with the weight's rows (B `[out, rank]`: rank;
    /// magnitude `[out]`: 1), nil when passed whole (A).
    struct LoadedTerm {
        var term: MergePlan.Term
        var factors: LowRankFactors
        var rowWidths: [String: Int]?
    }

    /// Doubles per row block: 1 MiB, so a block and its factors stay in a core's cache while it is
    /// widened, folded, checked and rounded.
    static let blockElements = 1 << 17
    /// Fewest rows per block: the per-call cost of a fold (checking A, `[rank, in]`) stays small
    /// next to the product over the block's rows.
    static let minimumBlockRows = 16

    /// Applies `terms` to the stored bytes of one tensor, in place (same dtype, same byte count).
    /// A `[out, in]` weight whose methods fold rows independently goes in row blocks, each widened,
    /// folded, checked and rounded while in cache, on every core; otherwise the whole weight is
    /// widened (and transposed) into one float64 buffer.
    static func fold(_ bytes: UnsafeMutableRawBufferPointer, info: TensorInfo, terms: [MergePlan.Term], direction: Direction) throws(TensorMergeError) {
        guard let first = terms.first, let (out, inputs) = first.target.outputsAndInputs(ofBaseShape: info.shape), out > 0, inputs > 0 else { return }
        var loaded: [LoadedTerm] = []
        for term in terms {
            var values: [String: [Double]] = [:]
            for role in term.method.roles {
                do { values[role] = try term.source.factorValues(tensor: info.name, role: role) } catch {
                    throw .adapter(adapter: term.label, error)
                }
            }
            // Checked once here rather than in every row block's fold.
            var factors = LowRankFactors(rank: term.target.rank, values: values)
            do { try factors.checkFinite(roles: term.method.roles, target: info.name) } catch { throw .method(adapter: term.label, error) }
            loaded.append(LoadedTerm(term: term, factors: factors,
                                     rowWidths: rowWidths(of: term, out: out, inputs: inputs)))
        }
        let layout = first.target.layout
        let largest: Double
        if layout == .outputMajor, loaded.allSatisfy({ $0.rowWidths != nil }) {
            largest = try foldInRowBlocks(bytes, info: info, terms: loaded, out: out, inputs: inputs, direction: direction)
        } else {
            var weight = [Double](unsafeUninitializedCapacity: info.elementCount) { _, count in count = info.elementCount }
            weight.withUnsafeMutableBufferPointer {
                StoredWeight.widen(UnsafeRawBufferPointer(bytes), dtype: info.dtype, layout: layout, out: out, inputs: inputs, into: $0)
            }
            try weight.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<Double>) throws(TensorMergeError) in
                try apply(loaded, to: buffer, rows: 0..<out, inputs: inputs, direction: direction, tensor: info.name)
            }
            guard let found = weight.withUnsafeBufferPointer(StoredWeight.largestMagnitude) else { throw .merge(.nonFinite(layer: info.name)) }
            largest = found
            if StoredWeight.fits(largest, in: info.dtype) {
                weight.withUnsafeBufferPointer { StoredWeight.narrow($0, dtype: info.dtype, layout: layout, out: out, inputs: inputs, into: bytes) }
            }
        }
        guard StoredWeight.fits(largest, in: info.dtype) else {
            throw .merge(.outOfRange(tensor: info.name, dtype: info.dtype.rawValue, largest: largest))
        }
    }

    /// Folds the rows of a `[out, in]` weight block by block, in parallel, straight from and back
    /// into its stored bytes; returns the largest magnitude (the caller checks it fits the dtype;
    /// the bytes are then already rounded). BLAS runs single-threaded meanwhile: the blocks are
    /// the parallelism, and idle BLAS threads would spin against them.
    private static func foldInRowBlocks(_ raw: UnsafeMutableRawBufferPointer, info: TensorInfo, terms: [LoadedTerm], out: Int, inputs: Int,
                                        direction: Direction) throws(TensorMergeError) -> Double {
        let blockRows = min(out, max(minimumBlockRows, blockElements / inputs))
        let blocks = (out + blockRows - 1) / blockRows
        let width = info.dtype.byteWidth
        let lock = NSLock()
        nonisolated(unsafe) var failure: (block: Int, error: TensorMergeError)?
        nonisolated(unsafe) var largest = 0.0
        BLAS.setThreadCount(1)
        defer { BLAS.setThreadCount(ParallelRanges.workers) }
        ParallelRanges.forEach(count: blocks, minimumChunk: 1) { range in
            var scratch = [Double](unsafeUninitializedCapacity: blockRows * inputs) { _, count in count = blockRows * inputs }
            var localLargest = 0.0
            scratch.withUnsafeMutableBufferPointer { scratch in
                for block in range {
                    let rows = block * blockRows..<min(out, (block + 1) * blockRows)
                    let values = UnsafeMutableBufferPointer(rebasing: scratch[0..<rows.count * inputs])
                    let stored = UnsafeMutableRawBufferPointer(rebasing: raw[rows.lowerBound * inputs * width..<rows.upperBound * inputs * width])
                    info.dtype.widen(UnsafeRawBufferPointer(stored), into: values)
                    do throws(TensorMergeError) {
                        try apply(terms, to: values, rows: rows, inputs: inputs, direction: direction, tensor: info.name)
                    } catch {
                        lock.withLock { if failure.map({ block < $0.block }) ?? true { failure = (block, error) } }
                        return
                    }
                    // Rounded and measured in one pass; a non-finite block fails the whole tensor, so
                    // its rounded bytes are never written.
                    guard let blockLargest = info.dtype.narrowMeasuringLargest(UnsafeBufferPointer(values), into: stored) else {
                        lock.withLock { if failure.map({ block < $0.block }) ?? true { failure = (block, .merge(.nonFinite(layer: info.name))) } }
                        return
                    }
                    localLargest = max(localLargest, blockLargest)
                }
            }
            lock.withLock { largest = max(largest, localLargest) }
        }
        if let failure { throw failure.error }
        return largest
    }

    /// Applies every term to `buffer`, which holds rows `rows` of the `[out, in]` weight.
    private static func apply(_ terms: [LoadedTerm], to buffer: UnsafeMutableBufferPointer<Double>, rows: Range<Int>, inputs: Int,
                              direction: Direction, tensor: String) throws(TensorMergeError) {
        for loaded in terms {
            var factors = loaded.factors
            if let widths = loaded.rowWidths, !widths.isEmpty {
                var values = factors.values
                for (role, width) in widths {
                    // Whole-weight calls (rows 0..<out) keep the factors as they are.
                    if let full = values[role], full.count >= rows.upperBound * width, rows.count * width != full.count {
                        values[role] = Array(full[rows.lowerBound * width..<rows.upperBound * width])
                    }
                }
                factors = LowRankFactors(rank: factors.rank, values: values, knownFinite: factors.knownFinite)
            }
            let term = loaded.term
            do {
                switch direction {
                case .merge: try term.method.fold(buffer, out: rows.count, inputs: inputs, factors: factors, scaling: term.scaling, target: tensor)
                case .unmerge: try term.method.unfold(buffer, out: rows.count, inputs: inputs, factors: factors, scaling: term.scaling, target: tensor)
                }
            } catch {
                throw .method(adapter: term.label, error)
            }
        }
    }

    /// For a method that folds rows independently, the elements per output row of each role whose
    /// leading dimension is `out` (found by asking the method for its shapes at two row counts);
    /// nil when the method folds whole weights, or a role's shape depends on `out` otherwise.
    private static func rowWidths(of term: MergePlan.Term, out: Int, inputs: Int) -> [String: Int]? {
        guard term.method.foldsRowsIndependently else { return nil }
        let rank = term.target.rank
        let probe = out == 1 ? 2 : 1
        let other = Dictionary(term.method.factorShapes(out: probe, inputs: inputs, rank: rank).map { ($0.role, $0.shape) },
                               uniquingKeysWith: { first, _ in first })
        var widths: [String: Int] = [:]
        for (role, shape) in term.method.factorShapes(out: out, inputs: inputs, rank: rank) {
            guard let probed = other[role] else { return nil }
            if probed == shape { continue }
            guard shape.first == out, probed.first == probe, shape.dropFirst() == probed.dropFirst() else { return nil }
            widths[role] = shape.dropFirst().reduce(1, *)
        }
        return widths
    }
}
