import AdapterCore
import Foundation
import Testing
import AdapterTestSupport
@testable import AdapterInterop

/// binary16 and bfloat16 conversions against numpy-produced values (Fixtures/interop/half_conversion.safetensors).
@Suite struct HalfPrecisionTests {
    /// Same value, treating every NaN as equal and keeping the sign of zero.
    private func same(_ a: Float, _ b: Float) -> Bool { a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern }

    @Test func widensHalvesLikeNumpy() throws {
        let file = try SafetensorsFile(path: InteropFixtures.path("half_conversion.safetensors"))
        let ours = try file.floats("f16_bits_as_f16")
        let numpy = try file.floats("f16_bits_widened")
        #expect(ours.count == 17)
        for (a, b) in zip(ours, numpy) { #expect(same(a, b), "\(a) vs numpy \(b)") }
    }

    @Test func narrowsToHalfLikeNumpy() throws {
        let file = try SafetensorsFile(path: InteropFixtures.path("half_conversion.safetensors"))
        let inputs = try file.floats("narrow_input")
        let numpy = try file.floats("narrow_f16")
        for (input, expected) in zip(inputs, numpy) {
            let ours = HalfPrecision.float(fromHalf: HalfPrecision.half(from: input))
            #expect(same(ours, expected), "f16(\(input)) = \(ours), numpy says \(expected)")
        }
    }

    @Test func narrowsToBFloat16LikeTheNumpyReference() throws {
        let file = try SafetensorsFile(path: InteropFixtures.path("half_conversion.safetensors"))
        let inputs = try file.floats("narrow_input")
        let bits = try file.floats("narrow_bf16_bits")
        for (input, expected) in zip(inputs, bits) {
            #expect(HalfPrecision.bfloat16(from: input) == UInt16(expected), "bf16(\(input))")
        }
    }

    @Test func readsBFloat16Tensors() throws {
        let file = try SafetensorsFile(path: InteropFixtures.path("bfloat16.safetensors"))
        for (a, b) in zip(try file.floats("bf16"), try file.floats("bf16_widened")) { #expect(same(a, b)) }
    }

    @Test func everyHalfSurvivesARoundTrip() {
        for bits in 0...UInt16.max {
            let value = HalfPrecision.float(fromHalf: bits)
            let back = HalfPrecision.half(from: value)
            // Signalling NaNs come back quieted; everything else exactly.
            let expected = value.isNaN ? bits | 0x0200 : bits
            if back != expected { Issue.record("half \(String(bits, radix: 16)) → \(value) → \(String(back, radix: 16))"); return }
        }
    }

    @Test func halfNarrowingAgreesWithDoubleRounding() {
        // Independent check: the nearest half to x found by brute force over neighbours in float64.
        var rng = SeededGenerator(seed: 16)
        for _ in 0..<2000 {
            let x = Float(bitPattern: UInt32.random(in: 0x3380_0000...0x477F_E000, using: &rng))
            let ours = HalfPrecision.half(from: x)
            let here = Double(HalfPrecision.float(fromHalf: ours))
            let below = Double(HalfPrecision.float(fromHalf: ours &- 1)), above = Double(HalfPrecision.float(fromHalf: ours &+ 1))
            let error = abs(here - Double(x))
            #expect(error <= abs(below - Double(x)) && error <= abs(above - Double(x)), "\(x)")
        }
    }
}
