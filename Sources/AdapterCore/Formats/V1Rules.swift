/// The value rules of the v1 formats that both a reader and a writer apply, so that every file
/// adaptool writes is a file it reads: each returns the problem in words, or nil when the value is
/// acceptable, and the caller names the file and attribute.
package enum V1Rules {
    /// The largest rank accepted: far beyond any real adapter, small enough that shape arithmetic cannot overflow.
    package static let maxRank = 1 << 20

    /// Layer names must be non-empty, unique, and usable as one HDF5 path component.
    package static func layerNamesProblem(_ names: [String]) -> String? {
        if names.isEmpty { return "is empty; at least one layer is required" }
        if let bad = names.first(where: { $0.isEmpty || $0.contains("/") || $0 == "." }) {
            return "contains \"\(bad)\", which is not a valid layer name (non-empty, no \"/\")"
        }
        if Set(names).count != names.count { return "lists a layer more than once" }
        return nil
    }

    /// A rank (root or per layer) is a positive integer of at most ``maxRank``.
    package static func rankProblem(_ rank: Int64) -> String? {
        rank >= 1 && rank <= Int64(maxRank) ? nil : "is \(rank); expected a positive integer of at most \(maxRank)"
    }

    /// Fingerprints are SHA-256 digests written as 64 lower-case hex digits.
    package static func isFingerprint(_ text: String) -> Bool {
        text.count == 64 && text.allSatisfy { $0.isHexDigit && !$0.isUppercase }
    }
}
