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

    /// The buffer narrowing (vector loop, then the chunks holding a zero, subnormal, overflow or
    /// NaN redone element by element) stores what the scalar rounding gives for every element, and
    /// measures the largest magnitude (nil once one is NaN or infinite).
    @Test func bufferNarrowingMatchesScalarAndMeasures() {
        var generator = SeededGenerator(seed: 11)
        var values = (0..<1_000).map { _ in Double.random(in: -3...3, using: &generator) * 0.02 }
        for (index, special) in [(0, 0.0), (63, 1e-7), (64, -0.0), (500, 1e-30), (999, 70_000)] { values[index] = special }
        for dtype in [TensorDType.float16, .bfloat16, .float32, .float64] {
            var raw = [UInt8](repeating: 0, count: values.count * dtype.byteWidth)
            let largest = raw.withUnsafeMutableBytes { raw in values.withUnsafeBufferPointer { dtype.narrowMeasuringLargest($0, into: raw) } }
            #expect(largest == values.map(abs).max(), "\(dtype)")
            for (index, value) in values.enumerated() {
                let stored: UInt64 = raw.withUnsafeBytes { raw in
                    switch dtype {
                    case .float16: return UInt64(raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)) ^ UInt64(TensorDType.half(from: value))
                    case .bfloat16: return UInt64(raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)) ^ UInt64(TensorDType.bfloat16(from: value))
                    case .float32: return UInt64(raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self) ^ Float(value).bitPattern)
                    default: return raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) ^ value.bitPattern
                    }
                }
                #expect(stored == 0, "\(dtype) element \(index) = \(value)")
                if stored != 0 { return }
            }
        }
        for special in [Double.nan, .infinity, -.infinity] {
            var withSpecial = values
            withSpecial[700] = special
            var raw = [UInt8](repeating: 0, count: values.count * 2)
            let largest = raw.withUnsafeMutableBytes { raw in withSpecial.withUnsafeBufferPointer { TensorDType.float16.narrowMeasuringLargest($0, into: raw) } }
            #expect(largest == nil, "\(special)")
        }
    }
}
