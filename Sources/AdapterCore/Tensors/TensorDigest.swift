import Crypto
import Dispatch

/// Fingerprints v2 (spec/format.md §Fingerprints): a SHA-256 digest per tensor, and a model
/// fingerprint over the sorted (name, digest) list. Both are 64 lower-case hex digits.
///
/// Tensor digest: SHA-256 over `u64le(len(utf8 name)) ‖ name ‖ u64le(len(dtype)) ‖ dtype ‖
/// u64le(rank) ‖ u64le(dim)… ‖ raw little-endian bytes`, where `dtype` is the ``TensorDType``
/// raw value (`"bfloat16"`). Model fingerprint: SHA-256 over, for the tensors sorted by the bytes
/// of their UTF-8 names, `u64le(len(name)) ‖ name ‖ digest as 32 raw bytes`.
public struct TensorDigest: Sendable {
    private var hasher = SHA256()

    /// Starts the digest of `info`: its name, dtype and shape are fed; the bytes follow with
    /// ``update(_:)``, in order, `info.byteCount` of them.
    public init(_ info: TensorInfo) {
        feedText(info.name)
        feedText(info.dtype.rawValue)
        feed(UInt64(info.shape.count))
        for dimension in info.shape { feed(UInt64(dimension)) }
    }

    /// Feeds the next stored (little-endian) bytes of the tensor.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        hasher.update(bufferPointer: bytes)
    }

    /// The digest as 64 lower-case hex digits.
    public func finalize() -> String { Self.hex(Array(hasher.finalize())) }

    private mutating func feed(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { hasher.update(bufferPointer: $0) }
    }

    private mutating func feedText(_ text: String) {
        let utf8 = Array(text.utf8)
        feed(UInt64(utf8.count))
        hasher.update(data: utf8)
    }

    /// The digest of one whole tensor.
    public static func digest(of info: TensorInfo, bytes: UnsafeRawBufferPointer) -> String {
        var digest = TensorDigest(info)
        digest.update(bytes)
        return digest.finalize()
    }

    /// The digests of many tensors, computed on every core at once (`bytes(index)` gives tensor
    /// `index`'s stored bytes and is called from worker threads: it must only read).
    public static func digests(of infos: [TensorInfo], bytes: (Int) -> UnsafeRawBufferPointer) -> [String] {
        withoutActuallyEscaping(bytes) { bytes in
            nonisolated(unsafe) let source = bytes
            let results = DigestSlots(count: infos.count)
            DispatchQueue.concurrentPerform(iterations: infos.count) { index in
                results.store(digest(of: infos[index], bytes: source(index)), at: index)
            }
            return results.values
        }
    }

    /// The model fingerprint of tensors given as (name, digest) in any order; nil when a digest
    /// is not 64 lower-case hex digits.
    public static func modelFingerprint(_ digests: [(name: String, digest: String)]) -> String? {
        let sorted = digests.map { (name: Array($0.name.utf8), digest: $0.digest) }
            .sorted { $0.name.lexicographicallyPrecedes($1.name) }
        var hasher = SHA256()
        for entry in sorted {
            guard let raw = bytes(ofHex: entry.digest) else { return nil }
            withUnsafeBytes(of: UInt64(entry.name.count).littleEndian) { hasher.update(bufferPointer: $0) }
            hasher.update(data: entry.name)
            hasher.update(data: raw)
        }
        return hex(Array(hasher.finalize()))
    }

    /// Whether `text` is a digest: 64 lower-case hex digits.
    public static func isDigest(_ text: String) -> Bool { bytes(ofHex: text) != nil }

    /// The 32 bytes of a 64-digit lower-case hex digest, or nil.
    static func bytes(ofHex text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 64 else { return nil }
        var result = [UInt8](repeating: 0, count: 32)
        for index in 0..<32 {
            guard let high = hexValue(digits[2 * index]), let low = hexValue(digits[2 * index + 1]) else { return nil }
            result[index] = high << 4 | low
        }
        return result
    }

    private static func hexValue(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
        default: return nil
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes { text += [digits[Int(byte >> 4)], digits[Int(byte & 15)]] }
        return String(decoding: text, as: UTF8.self)
    }
}

/// One result slot per tensor, written by worker threads (each index by exactly one of them):
/// a fixed buffer, so no write can trigger a copy of shared storage.
final class DigestSlots: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<String>
    init(count: Int) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: "")
    }
    deinit {
        slots.deinitialize()
        slots.deallocate()
    }
    func store(_ value: String, at index: Int) { slots[index] = value }
    var values: [String] { Array(slots) }
}
