/// Exact widening of stored floating-point elements to float64 and correctly rounded narrowing
/// back: the two conversions every merge, diff and fold goes through. Narrowing rounds **once**
/// (to nearest, ties to even) straight from float64, never via an intermediate rounding to float32:
/// float64 → float32 is done with round-to-odd, which keeps enough bits (24 ≥ 2·11 + 2) that the
/// following float32 → float16/bfloat16 rounding gives the same result as a direct one.
extension TensorDType {
    /// Widens `values.count` little-endian elements of this floating type from `raw` into `values`.
    /// Does nothing for integer types (callers check ``isFloatingPoint``).
    public func widen(_ raw: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Double>) {
        switch self {
        case .float32: Self.widening(raw, into: values) { (bits: UInt32) in Double(Float(bitPattern: bits)) }
        case .float64: Self.widening(raw, into: values) { (bits: UInt64) in Double(bitPattern: bits) }
        case .float16: Self.widening(raw, into: values) { (bits: UInt16) in Self.widened(half: bits) }
        case .bfloat16: Self.widening(raw, into: values) { (bits: UInt16) in Double(HalfPrecision.float(fromBFloat16: bits)) }
        default: return
        }
    }

    /// Converts as many little-endian `Bits` of `raw` as `values` holds; a plain pointer loop
    /// (no per-element checks) so it vectorises.
    @inline(__always)
    private static func widening<Bits: FixedWidthInteger>(_ raw: UnsafeRawBufferPointer, into values: UnsafeMutableBufferPointer<Double>,
                                                           _ convert: (Bits) -> Double) {
        let width = MemoryLayout<Bits>.size
        guard let source = raw.baseAddress, let target = values.baseAddress else { return }
        for index in 0..<min(values.count, raw.count / width) {
            target[index] = convert(Bits(littleEndian: source.loadUnaligned(fromByteOffset: index * width, as: Bits.self)))
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
        case .float32: return Self.narrowing(values, into: raw) { (Float($0).bitPattern, true) }
        case .float64: return Self.narrowing(values, into: raw) { ($0.bitPattern, true) }
        case .float16: return Self.narrowing(values, into: raw, fast: Self.halfFast, exceptional: Self.half(from:))
        case .bfloat16: return Self.narrowing(values, into: raw, fast: Self.bfloat16Fast, exceptional: Self.bfloat16(from:))
        default: return Self.narrowing(values, into: UnsafeMutableRawBufferPointer(start: nil, count: 0)) { ($0.bitPattern, true) }
        }
    }

    /// Stores the narrowed bits of `values` little-endian for as many as `raw` holds, measuring the
    /// largest magnitude of all of them (nil once one is NaN or ±∞). `fast` gives each element's
    /// bits and whether they are right; the elements it cannot do (zeros, subnormals, overflow,
    /// NaN: a few per thousand in weights) are redone with `exceptional`, chunk by chunk, only in
    /// the chunks that hold one. The main loop is branch-free so it vectorises; the magnitude is
    /// tracked on the bit patterns, which order like the values for non-negative doubles and put
    /// ∞ and NaN above every finite one.
    @inline(__always)
    private static func narrowing<Bits: FixedWidthInteger>(_ values: UnsafeBufferPointer<Double>, into raw: UnsafeMutableRawBufferPointer,
                                                            fast: (Double) -> (bits: Bits, exact: Bool),
                                                            exceptional: (Double) -> Bits = { _ in 0 }) -> Double? {
        let width = MemoryLayout<Bits>.size
        guard let source = values.baseAddress else { return 0 }
        let magnitudeMask: UInt64 = 0x7FFF_FFFF_FFFF_FFFF
        var largest: UInt64 = 0
        var start = 0
        if let target = raw.baseAddress {
            let stored = min(values.count, raw.count / width)
            while start < stored {
                let end = min(stored, start + narrowingChunk)
                var missed: UInt8 = 0
                for index in start..<end {
                    let value = source[index]
                    largest = max(largest, value.bitPattern & magnitudeMask)
                    let (bits, exact) = fast(value)
                    missed |= exact ? 0 : 1
                    target.storeBytes(of: bits.littleEndian, toByteOffset: index * width, as: Bits.self)
                }
                if missed != 0 {
                    for index in start..<end where !fast(source[index]).exact {
                        target.storeBytes(of: exceptional(source[index]).littleEndian, toByteOffset: index * width, as: Bits.self)
                    }
                }
                start = end
            }
        }
        for index in start..<values.count { largest = max(largest, source[index].bitPattern & magnitudeMask) }
        return largest < Double.infinity.bitPattern ? Double(bitPattern: largest) : nil
    }

    /// Elements per chunk of ``narrowing(_:into:fast:exceptional:)``: long enough for the vector
    /// loop, short enough that the few chunks holding an exceptional element are cheap to redo.
    private static let narrowingChunk = 64

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
        let (bits, exact) = halfFast(value)
        return exact ? bits : HalfPrecision.half(from: roundedToOdd(value))
    }

    /// `value` rounded once to bfloat16 bits: the float32 exponent range and 7 mantissa bits,
    /// straight from the float64 bits for normal results (2⁻¹²⁶ ≤ |value| < 2¹²⁸).
    @inline(__always)
    static func bfloat16(from value: Double) -> UInt16 {
        let (bits, exact) = bfloat16Fast(value)
        return exact ? bits : HalfPrecision.bfloat16(from: roundedToOdd(value))
    }

    /// ``half(from:)``'s normal-range path, and whether `value` is in that range.
    @inline(__always)
    private static func halfFast(_ value: Double) -> (bits: UInt16, exact: Bool) {
        narrowedBits(value, rebias: 1008, droppedBits: 42, normalRange: 0x3F10_0000_0000_0000..<0x40F0_0000_0000_0000)
    }

    /// ``bfloat16(from:)``'s normal-range path, and whether `value` is in that range.
    @inline(__always)
    private static func bfloat16Fast(_ value: Double) -> (bits: UInt16, exact: Bool) {
        narrowedBits(value, rebias: 896, droppedBits: 45, normalRange: 0x3810_0000_0000_0000..<0x47F0_0000_0000_0000)
    }

    /// The 16-bit pattern of `value` in a narrower format with 5 or 8 exponent bits, right when
    /// |value|'s float64 bits lie in `normalRange` (the narrower format's normal numbers; `exact`
    /// says whether they do): the exponent is re-biased and the mantissa rounded to nearest, ties
    /// to even, in one integer addition. Wrapping arithmetic and no branch, so loops vectorise.
    @inline(__always)
    private static func narrowedBits(_ value: Double, rebias: UInt64, droppedBits: UInt64, normalRange: Range<UInt64>) -> (bits: UInt16, exact: Bool) {
        let bits = value.bitPattern
        let magnitude = bits & 0x7FFF_FFFF_FFFF_FFFF
        let inRange = magnitude &- normalRange.lowerBound < normalRange.upperBound &- normalRange.lowerBound
        let rebased = magnitude &- rebias << 52
        let rounded = (rebased &+ (1 << (droppedBits - 1)) &- 1 &+ ((rebased >> droppedBits) & 1)) >> droppedBits
        return (UInt16(truncatingIfNeeded: bits >> 48) & 0x8000 | UInt16(truncatingIfNeeded: rounded), inRange)
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
