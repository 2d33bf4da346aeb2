import AdapterCore
import AdapterMath
import AdapterTestSupport
import Testing

@Suite struct TensorSetDiffTests {
    @Test func reportsChangedTensorsByModuleAndOneSidedTensors() throws {
        var generator = SeededGenerator(seed: 3)
        let weight = generator.floats(12), norm = generator.floats(4)
        var changed = weight
        changed[5] += 0.25
        let first = MemoryTensors(entries: [
            try MemoryTensors.float32("layers.0.q_proj.weight", [3, 4], weight),
            try MemoryTensors.float32("layers.0.norm.weight", [4], norm),
            try MemoryTensors.float32("only.first", [1], [1]),
        ])
        let second = MemoryTensors(entries: [
            try MemoryTensors.float32("layers.0.q_proj.weight", [3, 4], changed),
            try MemoryTensors.float32("layers.0.norm.weight", [4], norm),
            try MemoryTensors.float32("only.second", [1], [1]),
        ])
        let difference = try TensorSetDiff.compare(first, second, labels: ("a", "b"))
        #expect(!difference.isSame)
        #expect(difference.tensors.map(\.name) == ["layers.0.q_proj.weight", "layers.0.norm.weight", "only.first", "only.second"])
        #expect(difference.tensors.map(\.isSame) == [false, true, false, false])
        #expect(difference.changedModules == ["layers.0.q_proj", "only"])
        let values = try #require(difference.tensors[0].values)
        #expect(values.maxAbsolute == Double(changed[5]) - Double(weight[5]))
        #expect(values.numericalRank == 1)
        #expect(difference.summaryLine.contains("3 of 4 tensors differ"))
        let itself = try TensorSetDiff.compare(first, first, labels: ("a", "a"))
        #expect(itself.isSame && itself.summaryLine.hasPrefix("same: 3 tensors"))
    }

    @Test func equalDigestsSkipReadingAndToleranceApplies() throws {
        let digest = String(repeating: "ab", count: 32)
        let first = MemoryTensors(entries: [try MemoryTensors.float32("w", [2], [1, 2], digest: digest)])
        // Different bytes but the same recorded digest: decided without reading (a file that lies
        // about its digests is caught by inspect --verify, not by diff).
        let second = MemoryTensors(entries: [try MemoryTensors.float32("w", [2], [1, 3], digest: digest)])
        let byDigest = try TensorSetDiff.compare(first, second, labels: ("a", "b"))
        #expect(byDigest.isSame && byDigest.tensors[0].decidedByDigest)
        let near = MemoryTensors(entries: [try MemoryTensors.float32("w", [2], [1, 2.001])])
        #expect(!(try TensorSetDiff.compare(first, near, labels: ("a", "b"))).isSame)
        #expect(try TensorSetDiff.compare(first, near, labels: ("a", "b"), tolerance: DiffTolerance(atol: 0.01)).isSame)
    }
}
