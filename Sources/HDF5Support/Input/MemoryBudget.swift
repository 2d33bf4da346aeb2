import Foundation

/// The most memory one allocation derived from a file or a flag may take.
///
/// Sizes come from untrusted headers and from options; a size that cannot be allocated must be an
/// error line, not an abort inside `malloc`. Half of physical memory leaves room for the rest of
/// the process (other layers, BLAS buffers) and for the machine; the cap of 16 GiB keeps the limit
/// meaningful on very large hosts.
public enum MemoryBudget {
    /// The budget in bytes.
    public static let bytes: Int = min(Int(clamping: ProcessInfo.processInfo.physicalMemory / 2), 16 << 30)

    /// A reason to refuse allocating `count` items of `itemBytes` bytes each for `what`, or nil
    /// when it fits the budget (the product cannot overflow: it saturates).
    public static func refusal(count: Int, itemBytes: Int, for what: String) -> String? {
        let (total, overflow) = count.multipliedReportingOverflow(by: itemBytes)
        guard overflow || count < 0 || total > bytes else { return nil }
        let size = overflow || count < 0 ? "more than \(Int.max) bytes" : "\(total) bytes"
        return "\(what) needs \(size), more than the \(bytes)-byte memory budget (half of physical memory, at most 16 GiB)"
    }
}
