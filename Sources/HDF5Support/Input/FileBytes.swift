/// A file's bytes, read on demand with `pread` (never mapped whole: files can be large, and another
/// program may truncate them).
///
/// The header pre-check reads many small fields (a message's type, size and flags; a node's
/// signature and counts), mostly close together: a few recently read 4 KiB pages are kept, so a
/// header or a B-tree node costs one `pread`, not one per field (3,000 layers: 240,000 reads
/// without the pages).
struct FileBytes {
    private let input: InputFile
    private let pages = Pages()
    /// The file's size when it was opened.
    var count: UInt64 { UInt64(input.size) }

    init(_ input: InputFile) { self.input = input }

    /// `length` bytes at `offset`, or nil when they are not all in the file.
    func slice(_ offset: UInt64, _ length: Int) -> ArraySlice<UInt8>? {
        guard length >= 0, length <= Self.maxSlice, offset <= count, UInt64(length) <= count - offset else { return nil }
        if length == 0 { return [] }
        let page = offset / Pages.size
        if (offset + UInt64(length) - 1) / Pages.size == page, let bytes = pages.page(page, from: input) {
            let start = Int(offset - page * Pages.size)
            return bytes[start..<start + length]
        }
        return (try? input.bytes(at: Int(offset), count: length))?[...]
    }

    /// A little-endian unsigned integer of `width` bytes at `offset`.
    func unsigned(_ offset: UInt64, _ width: Int) -> UInt64? {
        guard let data = slice(offset, width) else { return nil }
        return data.reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// The largest slice read: metadata structures are small; a larger claim is a damaged size.
    private static let maxSlice = 1 << 20

    /// A few pages of the file, by page number (direct-mapped: page n lives in slot n mod slots).
    private final class Pages {
        static let size: UInt64 = 4096
        private static let slots = 16
        private var cached: [(number: UInt64, bytes: [UInt8])?] = Array(repeating: nil, count: slots)

        func page(_ number: UInt64, from input: InputFile) -> [UInt8]? {
            let slot = Int(number % UInt64(Self.slots))
            if let entry = cached[slot], entry.number == number { return entry.bytes }
            let start = number * Self.size
            let length = Int(min(Self.size, UInt64(input.size) - start))
            guard let bytes = try? input.bytes(at: Int(start), count: length) else { return nil }
            cached[slot] = (number, bytes)
            return bytes
        }
    }
}
