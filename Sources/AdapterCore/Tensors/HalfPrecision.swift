/// IEEE 754 binary16 ("half", safetensors `F16`) and bfloat16 (`BF16`) ⇄ float32, by bit
/// manipulation so it behaves the same on every platform (Swift's `Float16` is missing on Intel
/// macOS). Narrowing rounds to nearest, ties to even; NaNs stay NaN (quieted), infinities stay
/// infinite, subnormals are exact in both directions.
public enum HalfPrecision {
    /// Widens binary16 bits to float32 (exact).
    public static func float(fromHalf bits: UInt16) -> Float {
        let sign = UInt32(bits & 0x8000) << 16
        let exponent = UInt32(bits >> 10) & 0x1F
        let mantissa = UInt32(bits & 0x03FF)
        switch exponent {
        case 0:
            // Zero or subnormal: mantissa · 2^-24, exactly representable in float32.
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        case 0x1F:
            return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13))
        default:
            return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
        }
    }

    /// Narrows float32 to binary16 bits, rounding to nearest even; overflow gives ±∞.
    public static func half(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        let sign = UInt16((bits >> 16) & 0x8000)
        let exponent = Int((bits >> 23) & 0xFF)
        let mantissa = bits & 0x007F_FFFF
        if exponent == 0xFF {
            return mantissa == 0 ? sign | 0x7C00 : sign | 0x7E00 | UInt16(mantissa >> 13)
        }
        let halfExponent = exponent - 127 + 15
        if halfExponent >= 0x1F { return sign | 0x7C00 }
        if halfExponent <= 0 {
            // Below 2^-25 everything rounds to zero (2^-25 itself is a tie that goes to the even 0).
            if halfExponent < -10 { return sign }
            let significand = mantissa | 0x0080_0000
            let shift = UInt32(14 - halfExponent)
            return sign | UInt16(roundShift(significand, by: shift))
        }
        let truncated = UInt32(halfExponent) << 10 | (mantissa >> 13)
        // A carry out of the mantissa correctly bumps the exponent (and 65520 and up become ∞).
        return sign | UInt16(truncated + roundingIncrement(mantissa & 0x1FFF, half: 0x1000, odd: truncated & 1 == 1))
    }

    /// Widens bfloat16 bits to float32 (exact: bfloat16 is float32's upper half).
    public static func float(fromBFloat16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// Narrows float32 to bfloat16 bits, rounding to nearest even; NaNs stay (quiet) NaNs.
    public static func bfloat16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(bits >> 16) | 0x0040 }
        let upper = bits >> 16
        return UInt16(truncatingIfNeeded: upper + roundingIncrement(bits & 0xFFFF, half: 0x8000, odd: upper & 1 == 1))
    }

    /// `value >> shift`, rounded to nearest even.
    private static func roundShift(_ value: UInt32, by shift: UInt32) -> UInt32 {
        let kept = value >> shift
        let dropped = value & ((1 << shift) - 1)
        return kept + roundingIncrement(dropped, half: 1 << (shift - 1), odd: kept & 1 == 1)
    }

    /// 1 when the dropped bits are above one half, or exactly one half and the kept value is odd.
    private static func roundingIncrement(_ dropped: UInt32, half: UInt32, odd: Bool) -> UInt32 {
        dropped > half || (dropped == half && odd) ? 1 : 0
    }
}
