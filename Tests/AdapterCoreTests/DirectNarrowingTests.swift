@testable import AdapterCore
import AdapterTestSupport
import Testing

/// The direct float64 → float16 / bfloat16 rounding (integer arithmetic on the float64 bits, the
/// fast path for normal results) agrees with the round-to-odd-through-float32 path everywhere:
/// random values over every exponent, exact ties, the edges of the normal ranges, overflow, ∞, NaN.
@Suite struct DirectNarrowingTests {
    private func agree(_ value: Double) -> Bool {
        let half = TensorDType.half(from: value), halfOdd = HalfPrecision.half(from: TensorDType.roundedToOdd(value))
        let brain = TensorDType.bfloat16(from: value), brainOdd = HalfPrecision.bfloat16(from: TensorDType.roundedToOdd(value))
        let sameNaN = value.isNaN && half & 0x7C00 == 0x7C00 && half & 0x3FF != 0 && brain & 0x7F80 == 0x7F80 && brain & 0x7F != 0
        return sameNaN || (half == halfOdd && brain == brainOdd)
    }

    @Test func randomValuesOverEveryExponent() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<300_000 {
            let bits = UInt64.random(in: 0...UInt64.max, using: &generator)
            // Exponents spread over both formats' ranges and beyond, mantissas random.
            let exponent = UInt64(Int.random(in: (1023 - 140)...(1023 + 140), using: &generator))
            let value = Double(bitPattern: bits & 0x800F_FFFF_FFFF_FFFF | exponent << 52)
            #expect(agree(value), "\(value)")
            if !agree(value) { return }
        }
    }

    @Test func tiesEdgesAndSpecialValues() {
        let values: [Double] = [
            0, -0.0, 1, -1, 1 + 0x1p-11, 1 + 3 * 0x1p-11, 1 + 0x1p-8, 1 + 3 * 0x1p-8,   // exact ties, both directions
            0x1p-14, 0x1p-14.nextDown, 0x1p-24, 0x1p-25, 65504, 65519.99, 65520, 65536, 1e300,
            0x1p-126, 0x1p-126.nextDown, Double(Float.greatestFiniteMagnitude), 0x1p128, 0x1p127 * 1.9999999,
            .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
        ]
        for value in values + values.map(-) { #expect(agree(value), "\(value)") }
    }

    @Test func everyHalfWidensLikeHalfPrecision() {
        for bits in 0...UInt16.max {
            let fast = TensorDType.widened(half: bits), reference = Double(HalfPrecision.float(fromHalf: bits))
            #expect(fast.bitPattern == reference.bitPattern, "bits \(bits)")
            if fast.bitPattern != reference.bitPattern { return }
        }
    }
}
