import Crypto

/// The SHA-256 fingerprint of a checkpoint's weights, as lower-case hex (spec/format.md §Fingerprint).
///
/// The byte recipe, for each layer in `layer_names` order:
/// `u64le(len(name)) ‖ utf8(name) ‖ u64le(out) ‖ u64le(in) ‖ u64le(len(bias)) ‖ f32le(weight, row-major) ‖ f32le(bias)`.
/// Values are hashed after widening to float32, so a float64 file and its float32 copy share a fingerprint.
public struct FingerprintHasher {
    private var hasher = SHA256()

    /// A hasher with nothing fed yet.
    public init() {}

    /// Feeds one layer. Layers must be fed in `layer_names` order.
    public mutating func update(name: String, weight: Matrix, bias: [Float]) {
        update(name: name, out: weight.rows, in: weight.columns, weight: weight.values, bias: bias)
    }

    /// Feeds one layer given its raw row-major weight buffer.
    public mutating func update(name: String, out: Int, in inputs: Int, weight: [Float], bias: [Float]) {
        let utf8 = Array(name.utf8)
        feed(UInt64(utf8.count))
        hasher.update(data: utf8)
        feed(UInt64(out))
        feed(UInt64(inputs))
        feed(UInt64(bias.count))
        feedFloats(weight)
        feedFloats(bias)
    }

    /// The fingerprint of everything fed so far.
    public func finalize() -> String {
        hasher.finalize().map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    private mutating func feed(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { hasher.update(bufferPointer: $0) }
    }

    private mutating func feedFloats(_ values: [Float]) {
        #if _endian(little)
        values.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        #else
        values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        #endif
    }
}

extension Checkpoint {
    /// Recomputes the fingerprint from the layers in memory.
    public func computeFingerprint() -> String {
        var hasher = FingerprintHasher()
        for layer in layers { hasher.update(name: layer.name, weight: layer.weight, bias: layer.bias) }
        return hasher.finalize()
    }
}
