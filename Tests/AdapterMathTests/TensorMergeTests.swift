import AdapterCore
import AdapterMath
import AdapterMethods
import AdapterTestSupport
import Testing

/// Records what is written.
private final class RecordingWriter: TensorWriter {
    var written: [(info: TensorInfo, bytes: [UInt8], digest: String?)] = []
    func write(_ info: TensorInfo, bytes: UnsafeRawBufferPointer, digest: String?) throws(FormatError) { written.append((info, Array(bytes), digest)) }
}

/// Fails on the `failingAt`-th write (1-based), counting every call.
private final class FailingWriter: TensorWriter {
    let failingAt: Int
    var calls: [String] = []
    init(failingAt: Int) { self.failingAt = failingAt }
    func write(_ info: TensorInfo, bytes: UnsafeRawBufferPointer, digest: String?) throws(FormatError) {
        calls.append(info.name)
        if calls.count == failingAt { throw .io(path: "out.h5", problem: "No space left on device") }
    }
}

/// An adapter in memory.
private struct MemoryAdapter: LowRankFactorSource {
    var manifest: LowRankManifest
    var values: [String: [String: [Double]]]
    func factorValues(tensor: String, role: String) throws(FormatError) -> [Double] {
        guard let found = values[tensor]?[role] else { throw .io(path: "adapter", problem: "no \(role) for \(tensor)") }
        return found
    }
}

/// `values` stored as `dtype` (rounded once).
private func stored(_ name: String, _ dtype: TensorDType, _ shape: [Int], _ values: [Double], digest: String? = nil) throws -> (info: TensorInfo, bytes: [UInt8], digest: String?) {
    let info = try #require(TensorInfo(name: name, dtype: dtype, shape: shape))
    var bytes = [UInt8](repeating: 0, count: info.byteCount)
    bytes.withUnsafeMutableBytes { raw in values.withUnsafeBufferPointer { dtype.narrow($0, into: raw) } }
    return (info, bytes, digest)
}

/// A LoRA target on `tensor` ([out, in] = `out` × `inputs`, stored in `layout`) with seeded factors.
private func lora(_ tensor: String, out: Int, inputs: Int, rank: Int, scaling: Double, layout: WeightLayout = .outputMajor,
                  seed: UInt64) throws -> (target: LowRankTarget, values: [String: [Double]]) {
    var generator = SeededGenerator(seed: seed)
    let a = generator.floats(rank * inputs).map(Double.init), b = generator.floats(out * rank).map(Double.init)
    let target = LowRankTarget(tensor: tensor, rank: rank, scaling: scaling, layout: layout, factors: [
        "A": try #require(TensorInfo(name: "A", dtype: .float32, shape: [rank, inputs])),
        "B": try #require(TensorInfo(name: "B", dtype: .float32, shape: [out, rank])),
    ])
    return (target, ["A": a, "B": b])
}

/// W + scaling · B · A in float64, `[out, in]`.
private func reference(_ weight: [Double], out: Int, inputs: Int, rank: Int, scaling: Double, a: [Double], b: [Double]) -> [Double] {
    ReferenceLoRA.folded(weight, out: out, inputs: inputs, rank: rank, scaling: scaling, a: a, b: b)
}

@Suite struct TensorMergeTests {
    /// Tensors go through the write pipeline's two alternating buffers, growing and shrinking:
    /// each is written whole, unchanged, in base order.
    @Test func everyTensorIsWrittenInOrderThroughReusedBuffers() throws {
        var generator = SeededGenerator(seed: 5)
        let entries = try [7, 300, 2, 1_000, 64, 1].enumerated().map { index, count in
            try stored("t\(index)", index % 2 == 0 ? .float32 : .float16, [count], generator.floats(count).map(Double.init))
        }
        let writer = RecordingWriter()
        let summary = try TensorMerge.run(base: MemoryTensors(entries: entries), adapters: [], into: writer)
        #expect(summary.tensorCount == entries.count && summary.changed.isEmpty)
        #expect(writer.written.map(\.info.name) == entries.map(\.info.name))
        for (written, entry) in zip(writer.written, entries) { #expect(written.bytes == entry.bytes, "\(entry.info.name)") }
    }

    /// A write that fails (written on the pipeline's thread) is the merge's error, and nothing is
    /// written after it.
    @Test func aFailedWriteStopsTheMerge() throws {
        let entries = try (0..<4).map { try stored("t\($0)", .float32, [8], Array(repeating: 1, count: 8)) }
        let writer = FailingWriter(failingAt: 2)
        #expect {
            try TensorMerge.run(base: MemoryTensors(entries: entries), adapters: [], into: writer)
        } throws: { error in
            guard case .output(let underlying) = error as? TensorMergeError else { return false }
            return String(describing: underlying).contains("No space left on device")
        }
        #expect(writer.calls == ["t0", "t1"])
    }

    @Test(arguments: [TensorDType.float32, .bfloat16, .float16, .float64])
    func foldsInFloat64AndRoundsOnceCopyingTheRestWithDigests(_ dtype: TensorDType) throws {
        let (out, inputs, rank) = (6, 5, 2)
        var generator = SeededGenerator(seed: 11)
        let weight = try stored("m.q_proj.weight", dtype, [out, inputs], generator.floats(out * inputs).map(Double.init))
        let widened = try #require(dtype.float64Values(fromLittleEndian: weight.bytes, count: out * inputs))
        let buffer = try stored("m.buffer", .int64, [3], [0, 0, 0], digest: String(repeating: "a", count: 64))
        let base = MemoryTensors(entries: [weight, buffer])
        let (target, values) = try lora("m.q_proj.weight", out: out, inputs: inputs, rank: rank, scaling: 0.5, seed: 12)
        let adapter = MemoryAdapter(manifest: LowRankManifest(method: "lora", targets: [target]), values: ["m.q_proj.weight": values])
        let writer = RecordingWriter()
        let summary = try TensorMerge.run(base: base, adapters: [WeightedFactorSource(adapter, weight: 2, label: "a.h5")], into: writer)
        #expect(summary.changed == ["m.q_proj.weight"] && summary.tensorCount == 2)
        let expected = try stored("", dtype, [out, inputs], reference(widened, out: out, inputs: inputs, rank: rank, scaling: 1.0,
                                                                     a: values["A"] ?? [], b: values["B"] ?? []))
        #expect(writer.written[0].bytes == expected.bytes, "merged in float64, rounded once to \(dtype)")
        #expect(writer.written[0].digest == nil)
        #expect(writer.written[1].bytes == buffer.bytes && writer.written[1].digest == buffer.digest, "untouched: bytes and digest passed on")
    }

    @Test func anInputMajorWeightIsTransposedAroundTheFold() throws {
        let (out, inputs, rank) = (7, 40, 3)  // 40 stored rows: more than one transpose block
        var generator = SeededGenerator(seed: 5)
        let outInput = generator.floats(out * inputs).map(Double.init)
        var inputOut = [Double](repeating: 0, count: out * inputs)
        for o in 0..<out { for i in 0..<inputs { inputOut[i * out + o] = outInput[o * inputs + i] } }
        let (target, values) = try lora("c_attn.weight", out: out, inputs: inputs, rank: rank, scaling: 1, layout: .inputMajor, seed: 6)
        let base = MemoryTensors(entries: [try stored("c_attn.weight", .float64, [inputs, out], inputOut)])
        let writer = RecordingWriter()
        try TensorMerge.run(base: base, adapters: [WeightedFactorSource(MemoryAdapter(manifest: LowRankManifest(method: "lora", targets: [target]),
                                                                                       values: ["c_attn.weight": values]), label: "a")], into: writer)
        let merged = reference(outInput, out: out, inputs: inputs, rank: rank, scaling: 1, a: values["A"] ?? [], b: values["B"] ?? [])
        let written = try #require(TensorDType.float64.float64Values(fromLittleEndian: writer.written[0].bytes, count: out * inputs))
        for o in 0..<out { for i in 0..<inputs { #expect(abs(written[i * out + o] - merged[o * inputs + i]) <= 1e-12) } }
        // Unmerging takes it back out.
        let unmergeWriter = RecordingWriter()
        let mergedBase = MemoryTensors(entries: [(writer.written[0].info, writer.written[0].bytes, nil)])
        try TensorMerge.run(base: mergedBase, adapters: [WeightedFactorSource(MemoryAdapter(manifest: LowRankManifest(method: "lora", targets: [target]),
                                                                                             values: ["c_attn.weight": values]), label: "a")],
                            into: unmergeWriter, direction: .unmerge)
        let restored = try #require(TensorDType.float64.float64Values(fromLittleEndian: unmergeWriter.written[0].bytes, count: out * inputs))
        #expect(zip(restored, inputOut).allSatisfy { abs($0 - $1) <= 1e-12 })
    }

    @Test func misfitsAndOverflowsAreRefusedNamingTheTensor() throws {
        let base = MemoryTensors(entries: [try stored("a.weight", .float16, [4, 4], Array(repeating: 60000, count: 16)),
                                         try stored("b.weight", .float32, [4, 4], Array(repeating: 1, count: 16))])
        func run(_ targets: [LowRankTarget], method: String = "lora", values: [String: [String: [Double]]] = [:], count: Int = 1) throws(TensorMergeError) -> RecordingWriter {
            let writer = RecordingWriter()
            let adapter = MemoryAdapter(manifest: LowRankManifest(method: method, targets: targets), values: values)
            try TensorMerge.run(base: base, adapters: Array(repeating: WeightedFactorSource(adapter, label: "x.h5"), count: count), into: writer)
            return writer
        }
        let (onB, bValues) = try lora("b.weight", out: 4, inputs: 4, rank: 1, scaling: 1, seed: 1)
        var missing = onB
        missing.tensor = "layers.3.mlp.up_proj.weight"
        #expect { try run([onB, missing]) } throws: { "\($0)".contains("module \"layers.3.mlp.up_proj\"") }
        var wrongRank = onB
        wrongRank.rank = 2
        #expect { try run([wrongRank]) } throws: { "\($0)".hasPrefix("x.h5: b.weight: A is [1, 4]") }
        #expect { try run([onB], method: "nope") } throws: { "\($0)".contains("unknown adapter method") }
        var dora = onB
        dora.factors["magnitude"] = TensorInfo(name: "magnitude", dtype: .float32, shape: [4])
        #expect { try run([dora], method: "dora", count: 2) } throws: { "\($0)".contains("merge it alone") }
        // A float16 result above 65504 cannot be stored: refused, not written as infinity.
        var onA = onB
        onA.tensor = "a.weight"
        onA.scaling = 1e6
        #expect { try run([onA], values: ["a.weight": bValues]) } throws: { "\($0)".contains("beyond what float16 holds") }
    }

    @Test(arguments: ["lora", "dora"])
    func rowBlocksFoldLikeTheWholeWeight(_ method: String) throws {
        // 300 × 1000: several row blocks, the last one short.
        let (out, inputs, rank) = (300, 1000, 4)
        var generator = SeededGenerator(seed: 21)
        let weight = generator.floats(out * inputs).map(Double.init)
        var (target, values) = try lora("w", out: out, inputs: inputs, rank: rank, scaling: 0.75, seed: 22)
        if method == "dora" {
            values["magnitude"] = generator.floats(out).map { Double(abs($0)) + 0.5 }
            target.factors["magnitude"] = TensorInfo(name: "magnitude", dtype: .float32, shape: [out])
        }
        let base = MemoryTensors(entries: [try stored("w", .float64, [out, inputs], weight)])
        let writer = RecordingWriter()
        try TensorMerge.run(base: base, adapters: [WeightedFactorSource(MemoryAdapter(manifest: LowRankManifest(method: method, targets: [target]),
                                                                                       values: ["w": values]), label: "a")], into: writer)
        var whole = weight
        let chosen = try LowRankMethods.named(method)
        try whole.withUnsafeMutableBufferPointer { (buffer: inout UnsafeMutableBufferPointer<Double>) throws(MethodError) in
            try chosen.fold(buffer, out: out, inputs: inputs, factors: LowRankFactors(rank: rank, values: values), scaling: 0.75, target: "w")
        }
        let blocked = try #require(TensorDType.float64.float64Values(fromLittleEndian: writer.written[0].bytes, count: out * inputs))
        let worst = zip(blocked, whole).map { abs($0 - $1) / max(abs($1), 1e-300) }.max() ?? 0
        #expect(worst <= 1e-13, "row blocks vs whole weight: relative \(worst)")
    }
}
