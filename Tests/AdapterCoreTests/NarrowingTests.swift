import AdapterCore
import AdapterTestSupport
import Testing

/// float64 → float16 / bfloat16 narrowing rounds once: checked against a brute-force nearest
/// neighbour search done entirely in float64 (no float32 in between).
@Suite struct NarrowingTests {
    /// The correctly rounded bits: among the candidates around a guess, the one nearest in exact
    /// float64 distance, ties to the even bit pattern.
    private func nearest(_ value: Double, widen: (UInt16) -> Double, guess: UInt16) -> UInt16 {
        var best = guess, bestDistance = Double.infinity
        for delta in -2...2 {
            let candidate = UInt16(truncatingIfNeeded: Int(guess) + delta)
            let widened = widen(candidate)
            guard widened.isFinite, (widened < 0) == (value < 0) || widened == 0 else { continue }
            let distance = abs(widened - value)
            if distance < bestDistance || (distance == bestDistance && candidate & 1 == 0) { (best, bestDistance) = (candidate, distance) }
        }
        return best
    }

    private func narrowed(_ value: Double, to dtype: TensorDType) -> UInt16 {
        var bits: UInt16 = 0
        withUnsafeMutableBytes(of: &bits) { raw in
            [value].withUnsafeBufferPointer { dtype.narrow($0, into: raw) }
        }
        return UInt16(littleEndian: bits)
    }

    @Test func doubleRoundingCasesRoundOnce() {
        // 1 + 2^-11 + 2^-40 is just above a float16 tie; float32 would round it to the tie
        // (1 + 2^-11), which then goes to even (1.0): a double rounding. Direct: 1 + 2^-10.
        let value = 1 + 0x1p-11 + 0x1p-40
        #expect(narrowed(value, to: .float16) == 0x3C01)
        #expect(HalfPrecision.half(from: Float(value)) == 0x3C00, "the float32 path double-rounds here")
        let bValue = 1 + 0x1p-8 + 0x1p-40
        #expect(narrowed(bValue, to: .bfloat16) == 0x3F81)
    }

    @Test func randomValuesMatchBruteForce() {
        var generator = SeededGenerator(seed: 99)
        for _ in 0..<200_000 {
            let exponent = Double(Int.random(in: -30...15, using: &generator))
            let value = Double.random(in: -1...1, using: &generator) * powerOfTwo(exponent)
            let half = narrowed(value, to: .float16)
            let halfExpected = nearest(value, widen: { Double(HalfPrecision.float(fromHalf: $0)) }, guess: HalfPrecision.half(from: Float(value)))
            #expect(half == halfExpected, "float16 of \(value)")
            let brain = narrowed(value, to: .bfloat16)
            let brainExpected = nearest(value, widen: { Double(HalfPrecision.float(fromBFloat16: $0)) }, guess: HalfPrecision.bfloat16(from: Float(value)))
            #expect(brain == brainExpected, "bfloat16 of \(value)")
            if half != halfExpected || brain != brainExpected { return }
        }
    }

    @Test func widenThenNarrowIsIdentityForEveryHalf() {
        for bits in 0...UInt16.max where (bits & 0x7C00) != 0x7C00 {
            var raw = [UInt8](repeating: 0, count: 2)
            withUnsafeBytes(of: bits.littleEndian) { source in
                var widened = [Double](repeating: 0, count: 1)
                widened.withUnsafeMutableBufferPointer { TensorDType.float16.widen(source, into: $0) }
                raw.withUnsafeMutableBytes { target in widened.withUnsafeBufferPointer { TensorDType.float16.narrow($0, into: target) } }
            }
            #expect(raw == [UInt8(bits & 0xFF), UInt8(bits >> 8)], "bits \(bits)")
        }
    }
}

private func powerOfTwo(_ exponent: Double) -> Double { Double(sign: .plus, exponent: Int(exponent), significand: 1) }
