import AdapterCore
import AdapterMath
import AdapterMethods
import AdapterTestSupport
import Testing

/// Extraction on named tensors: a rank-2 update is recovered exactly (the fold of the extracted
/// factors reproduces the tuned weight), for LoRA and DoRA; a changed bias is reported as
/// inexpressible; equal models are refused.
@Suite struct TensorExtractionTests {
    private let rows = 6, columns = 5

    private func models() throws -> (base: MemoryTensors, tuned: MemoryTensors, tunedWeight: [Float]) {
        var generator = SeededGenerator(seed: 11)
        let weight = generator.floats(rows * columns), u = generator.floats(rows * 2), v = generator.floats(2 * columns)
        var tuned = weight
        for r in 0..<rows { for c in 0..<columns { tuned[r * columns + c] += 0.1 * (u[r * 2] * v[c] + u[r * 2 + 1] * v[columns + c]) } }
        let bias = generator.floats(rows)
        let base = MemoryTensors(entries: [try MemoryTensors.float32("l.weight", [rows, columns], weight), try MemoryTensors.float32("l.bias", [rows], bias)])
        let tunedModel = MemoryTensors(entries: [try MemoryTensors.float32("l.weight", [rows, columns], tuned),
                                                 try MemoryTensors.float32("l.bias", [rows], bias.map { $0 + 1 })])
        return (base, tunedModel, tuned)
    }

    @Test(arguments: ["lora", "dora"])
    func foldOfExtractedFactorsReproducesTheTunedWeight(methodName: String) throws {
        let method = try LowRankMethods.named(methodName)
        let (base, tuned, tunedWeight) = try models()
        let (targets, inexpressible) = try TensorExtraction.extract(base: base, tuned: tuned, labels: ("b", "t"), rank: 2, method: method)
        #expect(inexpressible == ["l.bias"])
        let target = try #require(targets.first)
        #expect(targets.count == 1 && target.target.tensor == "l.weight" && target.target.rank == 2)
        #expect(abs(target.report.capturedShare - 1) < 1e-12)
        try LowRankMethods.validate(target.target, method: method, base: try #require(base.info(named: "l.weight")))
        var weight = try base.float64Values(of: "l.weight")
        try weight.withUnsafeMutableBufferPointer { buffer in
            try method.fold(buffer, out: rows, inputs: columns, factors: target.factors, scaling: 1, target: "l.weight")
        }
        for index in weight.indices { #expect(abs(weight[index] - Double(tunedWeight[index])) < 1e-6) }
    }

    @Test func equalModelsAreRefused() throws {
        let (base, _, _) = try models()
        #expect(throws: ExtractionError.identical(base: "b", tuned: "b")) {
            try TensorExtraction.extract(base: base, tuned: base, labels: ("b", "b"), rank: 2, method: LoRA.self)
        }
    }
}
