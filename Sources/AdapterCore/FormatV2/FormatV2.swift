/// Names and numbers fixed by spec/format.md for format version 2 (named tensors), in one place.
public enum FormatV2 {
    /// The `format_version` of v2 checkpoints and adapters.
    public static let version: Int64 = 2
    /// The group holding one dataset per checkpoint tensor.
    public static let tensorsGroup = "tensors"
    /// The group holding the source folder's non-weight files (config.json, tokenizer files, …).
    public static let filesGroup = "files"
    /// The group holding one subgroup per adapter target.
    public static let targetsGroup = "targets"
    /// `architecture` of a checkpoint whose source did not say (no config.json `model_type`).
    public static let unknownArchitecture = "unknown"
    /// `architecture` of a chain-shaped MLP (what `train` and `eval` need).
    public static let mlpArchitecture = "mlp"

    /// The most elements one tensor may have: 2^34 covers a 128k × 128k embedding (real models'
    /// largest, a 128k × 16k embedding, is 2^31), and is far below what overflows byte counts.
    /// Declared bytes are still checked against the file and the memory budget before any buffer exists.
    public static let maxTensorElements = 1 << 34
    /// The largest attached file (a tokenizer.json is a few MiB; 256 MiB leaves room for odd ones
    /// and keeps a hostile header from reserving gigabytes).
    public static let maxAttachedFileBytes = 256 << 20
    /// The most dimensions a tensor may have (HDF5's own limit).
    public static let maxRank = 32
}

/// Tensor and file names as HDF5 link names: a name is kept exactly in the `name` attribute, and
/// its link name escapes the three things a link name cannot hold: `%` → `%25` (first, so escapes
/// stay unambiguous), `/` → `%2F`, and a leading `.` → `%2E`.
public enum TensorNameEscaping {
    /// The link name of tensor (or file) `name`.
    public static func escape(_ name: String) -> String {
        // Byte-wise: a combining mark after "/" makes one Character that is not "/", but it is still
        // a "/" byte to HDF5.
        var escaped: [UInt8] = []
        for (index, byte) in name.utf8.enumerated() {
            switch byte {
            case UInt8(ascii: "%"): escaped += Array("%25".utf8)
            case UInt8(ascii: "/"): escaped += Array("%2F".utf8)
            case UInt8(ascii: ".") where index == 0: escaped += Array("%2E".utf8)
            default: escaped.append(byte)
            }
        }
        return String(decoding: escaped, as: UTF8.self)
    }

    /// The name a link name stands for: every `%XX` (two hex digits, either case) decoded as that
    /// byte; nil when a `%` is not followed by two hex digits or the bytes are not UTF-8.
    public static func unescape(_ linkName: String) -> String? {
        let bytes = Array(linkName.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, let high = hexDigit(bytes[index + 1]), let low = hexDigit(bytes[index + 2]) else { return nil }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        let text = String(decoding: decoded, as: UTF8.self)
        return Array(text.utf8) == decoded ? text : nil
    }

    /// Why `name` cannot be a tensor or file name (empty, or holds a NUL, which HDF5 link names
    /// cannot), or nil.
    public static func problem(with name: String) -> String? {
        if name.isEmpty { return "the name is empty" }
        if name.utf8.contains(0) { return "the name contains a NUL character" }
        return nil
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
