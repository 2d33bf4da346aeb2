import AdapterCore
import AdapterMethods
import AdapterTestSupport
import Testing

/// Each method's fold against a naive float64 triple loop written from the papers' formulas (no
/// BLAS), its unfold, validation from metadata, and the registry.
@Suite struct LowRankMethodTests {
    private let out = 7, inputs = 5, rank = 3

    private func randomValues(_ count: Int, _ generator: inout SeededGenerator) -> [Double] {
        (0..<count).map { _ in Double.random(in: -1...1, using: &generator) }
    }

    private func factors(_ generator: inout SeededGenerator, magnitude: Bool) -> LowRankFactors {
        var values = ["A": randomValues(rank * inputs, &generator), "B": randomValues(out * rank, &generator)]
        if magnitude { values["magnitude"] = (0..<out).map { _ in Double.random(in: 0.5...2, using: &generator) } }
        return LowRankFactors(rank: rank, values: values)
    }

    /// W + s·B·A by the definition.
    private func naiveLoRA(_ weight: [Double], _ factors: LowRankFactors, scaling: Double) -> [Double] {
        ReferenceLoRA.folded(weight, out: out, inputs: inputs, rank: rank, scaling: scaling, a: factors["A"] ?? [], b: factors["B"] ?? [])
    }

    private func folded(_ method: any LowRankMethod.Type, _ weight: [Double], _ factors: LowRankFactors, scaling: Double) throws -> [Double] {
        var result = weight
        try result.withUnsafeMutableBufferPointer { buffer in
            try method.fold(buffer, out: out, inputs: inputs, factors: factors, scaling: scaling, target: "t")
        }
        return result
    }

    @Test func loraFoldMatchesDefinitionAndUnfoldUndoesIt() throws {
        var generator = SeededGenerator(seed: 7)
        let weight = randomValues(out * inputs, &generator), loraFactors = factors(&generator, magnitude: false)
        let merged = try folded(LoRA.self, weight, loraFactors, scaling: 0.75)
        let expected = naiveLoRA(weight, loraFactors, scaling: 0.75)
        for index in merged.indices { #expect(abs(merged[index] - expected[index]) <= 1e-14) }
        var restored = merged
        try restored.withUnsafeMutableBufferPointer { buffer in
            try LoRA.unfold(buffer, out: out, inputs: inputs, factors: loraFactors, scaling: 0.75, target: "t")
        }
        for index in restored.indices { #expect(abs(restored[index] - weight[index]) <= 1e-14) }
    }

    @Test func doraFoldRescalesEveryRowToItsMagnitude() throws {
        var generator = SeededGenerator(seed: 8)
        let weight = randomValues(out * inputs, &generator), doraFactors = factors(&generator, magnitude: true)
        let merged = try folded(DoRA.self, weight, doraFactors, scaling: 2)
        let direction = naiveLoRA(weight, doraFactors, scaling: 2)
        let magnitude = doraFactors["magnitude"] ?? []
        for row in 0..<out {
            let slice = direction[row * inputs..<(row + 1) * inputs]
            let norm = slice.reduce(0) { $0 + $1 * $1 }.squareRoot()
            for column in 0..<inputs {
                let expected = magnitude[row] * direction[row * inputs + column] / norm
                #expect(abs(merged[row * inputs + column] - expected) <= 1e-14)
            }
        }
        #expect(throws: MethodError.self) {
            var copy = merged
            try copy.withUnsafeMutableBufferPointer { try DoRA.unfold($0, out: out, inputs: inputs, factors: doraFactors, scaling: 2, target: "t") }
        }
    }

    @Test func doraRefusesAZeroRowAndNonFiniteFactors() throws {
        var generator = SeededGenerator(seed: 9)
        var values = factors(&generator, magnitude: true).values
        values["B"] = [Double](repeating: 0, count: out * rank)
        let zeroDelta = LowRankFactors(rank: rank, values: values)
        var weight = randomValues(out * inputs, &generator)
        for column in 0..<inputs { weight[2 * inputs + column] = 0 }
        #expect(throws: MethodError.zeroNorm(tensor: "t", row: 2)) { try folded(DoRA.self, weight, zeroDelta, scaling: 1) }
        values["A"]?[4] = .nan
        #expect(throws: MethodError.notFinite(tensor: "t", what: "A")) { try folded(DoRA.self, weight, LowRankFactors(rank: rank, values: values), scaling: 1) }
    }

    @Test func deltaIsFoldMinusWeight() throws {
        var generator = SeededGenerator(seed: 10)
        let weight = randomValues(out * inputs, &generator), loraFactors = factors(&generator, magnitude: false)
        let delta = try LoRA.delta(of: weight, out: out, inputs: inputs, factors: loraFactors, scaling: 1.5, target: "t")
        let expected = naiveLoRA([Double](repeating: 0, count: out * inputs), loraFactors, scaling: 1.5)
        for index in delta.indices { #expect(abs(delta[index] - expected[index]) <= 1e-13) }
    }

    private func info(_ name: String, _ dtype: TensorDType, _ shape: [Int]) throws -> TensorInfo {
        try #require(TensorInfo(name: name, dtype: dtype, shape: shape))
    }

    @Test func validationChecksShapesFromMetadataInBothLayouts() throws {
        let base = try info("m.weight", .bfloat16, [out, inputs])
        let good = LowRankTarget(tensor: "m.weight", rank: rank, scaling: 2, factors: [
            "A": try info("A", .float32, [rank, inputs]), "B": try info("B", .float32, [out, rank]),
        ])
        try LowRankMethods.validate(good, method: LoRA.self, base: base)
        #expect(throws: MethodError.missingFactor(tensor: "m.weight", role: "magnitude")) {
            try LowRankMethods.validate(good, method: DoRA.self, base: base)
        }
        var transposed = good
        transposed.layout = .inputMajor
        #expect(throws: MethodError.factorShape(tensor: "m.weight", role: "A", expected: [rank, out], found: [rank, inputs])) {
            try LowRankMethods.validate(transposed, method: LoRA.self, base: base)
        }
        try LowRankMethods.validate(transposed, method: LoRA.self, base: try info("m.weight", .float32, [inputs, out]))
        #expect(throws: MethodError.baseNotAWeight(tensor: "m.weight", shape: [out], dtype: .float32)) {
            try LowRankMethods.validate(good, method: LoRA.self, base: try info("m.weight", .float32, [out]))
        }
        var extra = good
        extra.factors["C"] = try info("C", .float32, [1])
        #expect(throws: MethodError.unexpectedFactor(tensor: "m.weight", role: "C", expected: ["A", "B"])) {
            try LowRankMethods.validate(extra, method: LoRA.self, base: base)
        }
    }

    @Test func registryFindsMethodsByNameAndPEFTFlag() throws {
        #expect(try LowRankMethods.named("dora").name == "dora")
        #expect(throws: MethodError.unknownMethod(name: "vera", known: ["dora", "dora_column", "lora"])) { try LowRankMethods.named("vera") }
        #expect(LowRankMethods.forPEFTConfig(flags: { $0 == "use_dora" }).name == "dora")
        #expect(LowRankMethods.forPEFTConfig(flags: { _ in false }).name == "lora")
        #expect(DoRA.roles == ["A", "B", "magnitude"])
    }
}
