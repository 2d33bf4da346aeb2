/// Exact widening of stored floating-point elements to float64 and correctly rounded narrowing
/// back: the two conversions every merge, diff and fold goes through. Narrowing rounds **once**
/// (to nearest, ties to even) straight from float64, never via an intermediate rounding to float32:
/// float64 → float32 is done with round-to-odd, which keeps enough bits (24 ≥ 2·11 + 2) that the
/// following float32 → float16/bfloat16 rounding gives the same result as a direct one.
extension TensorDType {
    /// Widens `values.count` little-endian elements of this floating type from `raw` into `values`.
    /// Does nothing for integer types (callers check ``isFloatingPoint``).
    public func widen(_ raw: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Double>) {
        let count = min(values.count, raw.count / byteWidth)
        switch self {
        case .float32:
            for index in 0..<count {
                values[index] = Double(Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: index * 4, as: UInt32.self))))
            }
        case .float64:
            for index in 0..<count {
                values[index] = Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self)))
            }
        case .float16:
            for index in 0..<count {
                values[index] = Self.widened(half: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self)))
            }
        case .bfloat16:
            for index in 0..<count {
                values[index] = Double(HalfPrecision.float(fromBFloat16: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: index * 2, as: UInt16.self))))
            }
        default:
            return
        }
    }

    /// Narrows `values` to this floating type, rounding each once to nearest (ties to even), and
    /// stores them little-endian into `raw` (`values.count × byteWidth` bytes). Overflow gives ±∞,
    /// which callers that must stay finite check with ``Double/isFinite`` on the widened result or
    /// on the input (or use ``narrowMeasuringLargest(_:into:)``). Does nothing for integer types.
    public func narrow(_ values: UnsafeBufferPointer<Double>, into raw: UnsafeMutableRawBufferPointer) {
        _ = narrowMeasuringLargest(values, into: raw)
    }

    /// ``narrow(_:into:)`` that also returns, from the same pass over `values`, their largest
    /// magnitude, or nil when one is NaN or infinite: the finiteness and range check of a merge
    /// costs no second pass. For integer types nothing is written (the measure is still returned).
    public func narrowMeasuringLargest(_ values: UnsafeBufferPointer<Double>, into raw: UnsafeMutableRawBufferPointer) -> Double? {
        switch self {
        case .float32: return Self.narrowing(values, into: raw) { Float($0).bitPattern }
        case .float64: return Self.narrowing(values, into: raw) { $0.bitPattern }
        case .float16: return Self.narrowing(values, into: raw) { Self.half(from: $0) }
        case .bfloat16: return Self.narrowing(values, into: raw) { Self.bfloat16(from: $0) }
        default: return Self.narrowing(values, into: UnsafeMutableRawBufferPointer(start: nil, count: 0)) { $0.bitPattern }
        }
    }

    /// Stores `convert(value)` little-endian for as many of `values` as `raw` holds, measuring the
    /// largest magnitude of all of them (nil once one is NaN or ±∞). Branch-free per element so
    /// the loop vectorises.
    @inline(__always)
    private static func narrowing<Bits: FixedWidthInteger>(_ values: UnsafeBufferPointer<Double>, into raw: UnsafeMutableRawBufferPointer,
                                                            _ convert: (Double) -> Bits) -> Double? {
        let width = MemoryLayout<Bits>.size
        let stored = min(values.count, raw.count / width)
        var largest = 0.0
        var nonFinite: UInt8 = 0
        @inline(__always) func measure(_ value: Double) {
            let magnitude = abs(value)
            largest = magnitude > largest ? magnitude : largest
            nonFinite |= magnitude <= .greatestFiniteMagnitude ? 0 : 1  // NaN fails the comparison too
        }
        for index in 0..<stored {
            let value = values[index]
            measure(value)
            raw.storeBytes(of: convert(value).littleEndian, toByteOffset: index * width, as: Bits.self)
        }
        for index in stored..<values.count { measure(values[index]) }
        return nonFinite == 0 ? largest : nil
    }

    /// binary16 bits widened exactly, without branches on the common path: the magnitude bits
    /// moved into float32's place and scaled by 2¹¹² (exact for normals and subnormals alike);
    /// only ∞ and NaN (exponent all ones) are patched. Same results as ``HalfPrecision/float(fromHalf:)``.
    @inline(__always)
    static func widened(half bits: UInt16) -> Double {
        let magnitude = UInt32(bits & 0x7FFF) << 13
        let scaled = (Float(bitPattern: magnitude) * 0x1p112).bitPattern
        // Selects and ORs rather than branches: signs are random in weights, and a mispredicted
        // branch per element costs more than the conversion.
        let widened = bits & 0x7C00 == 0x7C00 ? magnitude | 0x7F80_0000 : scaled
        return Double(Float(bitPattern: widened | UInt32(bits & 0x8000) << 16))
    }

    /// `value` rounded once to binary16 bits. Normal results (2⁻¹⁴ ≤ |value| < 2¹⁶) are rounded
    /// straight from the float64 bits, nearest-even (a carry rolls into the exponent, and 65520 and
    /// up become ∞); zeros, subnormals, overflow, ∞ and NaN take the round-to-odd path.
    @inline(__always)
    static func half(from value: Double) -> UInt16 {
        narrowedBits(value, rebias: 1008, droppedBits: 42, normalRange: 0x3F10_0000_0000_0000..<0x40F0_0000_0000_0000)
            ?? HalfPrecision.half(from: roundedToOdd(value))
    }

    /// `value` rounded once to bfloat16 bits: the float32 exponent range and 7 mantissa bits,
    /// straight from the float64 bits for normal results (2⁻¹²⁶ ≤ |value| < 2¹²⁸).
    @inline(__always)
    static func bfloat16(from value: Double) -> UInt16 {
        narrowedBits(value, rebias: 896, droppedBits: 45, normalRange: 0x3810_0000_0000_0000..<0x47F0_0000_0000_0000)
            ?? HalfPrecision.bfloat16(from: roundedToOdd(value))
    }

    /// The 16-bit pattern of `value` in a narrower format with 5 or 8 exponent bits, when |value|'s
    /// float64 bits lie in `normalRange` (the narrower format's normal numbers): the exponent is
    /// re-biased and the mantissa rounded to nearest, ties to even, in one integer addition.
    @inline(__always)
    private static func narrowedBits(_ value: Double, rebias: UInt64, droppedBits: UInt64, normalRange: Range<UInt64>) -> UInt16? {
        let bits = value.bitPattern
        let magnitude = bits & 0x7FFF_FFFF_FFFF_FFFF
        guard normalRange.contains(magnitude) else { return nil }
        let rebased = magnitude - rebias << 52
        let rounded = (rebased + (1 << (droppedBits - 1)) - 1 + ((rebased >> droppedBits) & 1)) >> droppedBits
        return UInt16(truncatingIfNeeded: bits >> 48) & 0x8000 | UInt16(truncatingIfNeeded: rounded)
    }

    /// `value` rounded to float32 with round-to-odd: truncated toward zero, and the last mantissa
    /// bit set when anything was dropped. Exact values, infinities and NaNs pass unchanged.
    @inline(__always)
    static func roundedToOdd(_ value: Double) -> Float {
        var narrowed = Float(value)
        let back = Double(narrowed)
        guard back != value, value.isFinite else { return narrowed }
        if narrowed.isInfinite || abs(back) > abs(value) {
            narrowed = narrowed.isInfinite ? Float.greatestFiniteMagnitude * (value < 0 ? -1 : 1) : narrowed.nextToward(zero: ())
        }
        return Float(bitPattern: narrowed.bitPattern | 1)
    }
}

private extension Float {
    /// The neighbour one ulp closer to zero.
    func nextToward(zero: Void) -> Float { self > 0 ? nextDown : nextUp }
}
