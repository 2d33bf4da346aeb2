import CHDF5
import Foundation

/// A pre-check of an object's header (attribute and link messages), run before HDF5 1.10 is allowed
/// to decode it.
///
/// The corruption sweep (Tests/AdaptoolCLITests/InspectCLITests.swift) found three ways a few
/// flipped bytes crash or hang HDF5 1.10.8: an attribute message that fails to decode makes
/// `H5Aiterate2` free a NULL entry (SIGSEGV), a damaged link message does the same to `H5Literate`;
/// and variable-length strings — stored in "global heap"
/// collections, referenced per string as `(length, collection address, object index)` — are trusted
/// by `H5HG_read`, which reads out of bounds or loops for ever on a damaged collection or reference.
/// So this parses the object's header (format v1 or v2, following continuation chunks), checks that
/// every link message and every attribute message is well formed (versions, sizes, data within the message), and that
/// every variable-length reference names an intact collection holding an object of exactly that
/// length. Layouts it cannot interpret (shared datatypes, dense attribute storage) are left to HDF5.
struct HDF5HeaderCheck {
    let bytes: FileBytes
    let sizeOfOffsets: Int
    let sizeOfLengths: Int
    let base: UInt64
    /// The file's "K" values of symbol-table groups: a group B-tree node holds at most 2 × tree
    /// children, a symbol table node at most 2 × leaf entries.
    private(set) var groupNodeK: (tree: Int, leaf: Int)
    private let context: String
    /// Global heap collections already parsed, so each is walked once per file (see
    /// ``heapObjectSize(collection:index:)``).
    let collections = GlobalHeapCollections()

    /// Prepares to check objects of `file` (reads its offset sizes and user-block size).
    init(file: HDF5File) throws(HDF5Error) {
        let context = "checking \"\(file.path)\""
        let fcpl = try HDF5Call.checkID(H5Fget_create_plist(file.handle.id), context)
        defer { H5Pclose(fcpl) }
        var offsets = 0, lengths = 0
        var userBlock: hsize_t = 0
        var groupTreeK: UInt32 = 0, groupLeafK: UInt32 = 0
        try HDF5Call.check(H5Pget_sizes(fcpl, &offsets, &lengths), context)
        try HDF5Call.check(H5Pget_userblock(fcpl, &userBlock), context)
        try HDF5Call.check(H5Pget_sym_k(fcpl, &groupTreeK, &groupLeafK), context)
        guard [2, 4, 8].contains(offsets), [2, 4, 8].contains(lengths) else {
            throw HDF5Error(operation: context, detail: "offset size \(offsets) / length size \(lengths) is not supported")
        }
        guard let input = file.input else { throw HDF5Error(operation: context, detail: "the file was not opened for reading") }
        self.init(bytes: FileBytes(input), sizeOfOffsets: offsets, sizeOfLengths: lengths, base: UInt64(userBlock), path: file.path)
        groupNodeK = (tree: Int(groupTreeK), leaf: Int(groupLeafK))
    }

    /// Prepares to check objects of a file whose sizes are known (read from its superblock).
    init(bytes: FileBytes, sizeOfOffsets: Int, sizeOfLengths: Int, base: UInt64, path: String) {
        context = "checking \"\(path)\""
        self.bytes = bytes
        self.sizeOfOffsets = sizeOfOffsets
        self.sizeOfLengths = sizeOfLengths
        self.base = base
        groupNodeK = (tree: 16, leaf: 4)  // HDF5's defaults
    }

    /// Checks that the object header at `header` (an address in the file) and its continuation
    /// chunks lie inside the file, before HDF5 loads it: HDF5 1.10.8 reads a chunk at an undefined
    /// address through a wild pointer.
    func checkChunks(header: UInt64) throws(HDF5Error) {
        _ = try messages(header: header)
    }

    /// Checks the link messages and attribute messages (with their heap references) of the object
    /// `objectID`. Returns the object's header address, so callers can skip objects already checked.
    @discardableResult
    func checkHeader(of objectID: hid_t, skipping checked: Set<haddr_t> = []) throws(HDF5Error) -> haddr_t {
        var info = H5O_info_t()
        try HDF5Call.check(H5Oget_info2(objectID, &info, H5O_INFO_BASIC), context)
        if checked.contains(info.addr) { return info.addr }
        for message in try messages(header: UInt64(info.addr)) {
            switch message.type {
            case Self.attributeMessage:
                // Shared attribute messages need the file's shared-message table; HDF5 mis-handles damaged ones.
                guard message.flags & 0x02 == 0 else { throw corrupt("a shared attribute message (not supported)") }
                try checkAttribute(message.data)
            case Self.linkMessage:
                try checkLink(message.data)
            case Self.linkInfoMessage:
                try checkLinkInfo(message.data)
            case Self.attributeInfoMessage:
                try checkDenseAttributes(message.data)
            case Self.symbolTableMessage:
                try checkSymbolTable(message.data)
            default:
                break
            }
        }
        return info.addr
    }

    private static let linkInfoMessage: UInt64 = 0x02
    private static let attributeInfoMessage: UInt64 = 0x15
    private static let linkMessage: UInt64 = 0x06
    private static let symbolTableMessage: UInt64 = 0x11

    /// A link info message (dense link storage): its fractal heap and B-tree addresses must be
    /// undefined or point at structures with the right signatures (HDF5 1.10 read out of bounds on a
    /// damaged B-tree address in the sweep).
    private func checkLinkInfo(_ message: ArraySlice<UInt8>) throws(HDF5Error) {
        guard read(message, 0, 1) == 0, let flags = read(message, 1, 1) else { throw corrupt("link info message version") }
        var offset = 2 + (flags & 0x01 != 0 ? 8 : 0)
        for signature in ["FRHP", "BTHD"] + (flags & 0x02 != 0 ? ["BTHD"] : []) {
            guard let address = read(message, offset, sizeOfOffsets) else { throw corrupt("link info message too short") }
            offset += sizeOfOffsets
            if address == undefinedAddress { continue }
            guard bytes.slice(base &+ address, 4).map({ Array($0) == Array(signature.utf8) }) == true else {
                throw corrupt("dense link storage points at \(address), which is not a \(signature) structure")
            }
        }
    }
    private static let attributeMessage: UInt64 = 0x0C

    /// A link message (spec: HDF5 file format, "Link Message"): version 1, a known link type, a
    /// name and a value that fit the message.
    private func checkLink(_ message: ArraySlice<UInt8>) throws(HDF5Error) {
        guard read(message, 0, 1) == 1, let flags = read(message, 1, 1) else { throw corrupt("link message version") }
        var offset = 2
        var linkType: UInt64 = 0
        if flags & 0x08 != 0 {
            guard let type = read(message, offset, 1), [0, 1, 64].contains(type) else { throw corrupt("link message type") }
            linkType = type
            offset += 1
        }
        if flags & 0x04 != 0 { offset += 8 }
        if flags & 0x10 != 0 {
            guard let charset = read(message, offset, 1), charset <= 1 else { throw corrupt("link name character set") }
            offset += 1
        }
        let lengthWidth = 1 << Int(flags & 0x03)
        guard let nameLength = read(message, offset, lengthWidth), nameLength >= 1, nameLength <= UInt64(message.count) else {
            throw corrupt("link name length")
        }
        offset += lengthWidth + Int(nameLength)
        switch linkType {
        case 0:
            guard offset + sizeOfOffsets <= message.count else { throw corrupt("hard link runs past its message") }
        default:
            guard let valueLength = read(message, offset, 2), offset + 2 + Int(valueLength) <= message.count,
                  linkType == 1 || valueLength >= 3 else { throw corrupt("link value runs past its message") }
        }
    }

    /// An attribute larger than adaptool reads (``hdf5MaxAttributeBytes``), refused before HDF5 reads it.
    func tooLarge(_ what: String) -> HDF5Error {
        HDF5Error(operation: context, detail: "\(what), more than the \(hdf5MaxAttributeBytes) bytes adaptool reads from attributes; refusing to let HDF5 read them")
    }

    func corrupt(_ what: String) -> HDF5Error {
        HDF5Error(operation: context, detail: "corrupt file: \(what); refusing to let HDF5 read it")
    }

    // MARK: Object headers

    /// One message of an object header.
    private struct Message {
        var type: UInt64
        var flags: UInt64
        var data: ArraySlice<UInt8>
    }

    /// The messages of the object header at `header`, across continuation chunks.
    private func messages(header: UInt64) throws(HDF5Error) -> [Message] {
        let start = base &+ header
        var found: [Message] = []
        var chunks: [(start: UInt64, length: UInt64)] = []
        let isVersion2 = bytes.slice(start, 4).map { Array($0) == Array("OHDR".utf8) } ?? false
        if isVersion2 {
            guard let head = bytes.slice(start, 6) else { throw corrupt("object header out of the file") }
            let flags = head[head.startIndex + 5]
            var cursor = start + 6 + (flags & 0x20 != 0 ? 16 : 0) + (flags & 0x10 != 0 ? 4 : 0)
            let width = 1 << Int(flags & 0x03)
            guard let size = bytes.unsigned(cursor, width) else { throw corrupt("object header out of the file") }
            cursor += UInt64(width)
            chunks.append((cursor, size))
            try walkChunks(&chunks, version2: true, creationOrder: flags & 0x04 != 0, into: &found)
        } else {
            guard let head = bytes.slice(start, 16), head[head.startIndex] == 1,
                  let size = bytes.unsigned(start + 8, 4) else { throw corrupt("object header at \(header) is unreadable") }
            chunks.append((start + 16, size))
            try walkChunks(&chunks, version2: false, creationOrder: false, into: &found)
        }
        return found
    }

    /// Limits that keep a hostile header from making the walk long.
    private static let maxChunks = 64
    private static let maxMessages = 4096

    private func walkChunks(_ chunks: inout [(start: UInt64, length: UInt64)], version2: Bool, creationOrder: Bool,
                            into found: inout [Message]) throws(HDF5Error) {
        var index = 0, messages = 0
        while index < chunks.count {
            guard index < Self.maxChunks else { throw corrupt("too many object header chunks") }
            // Both numbers come from the file: a sum past 2^64 is a chunk out of the file, not a trap.
            let (chunkEnd, wrapped) = chunks[index].start.addingReportingOverflow(chunks[index].length)
            guard !wrapped, chunkEnd <= bytes.count else { throw corrupt("object header chunk out of the file") }
            var (cursor, end) = (chunks[index].start, chunkEnd)
            if version2 && index > 0 {
                // A v2 continuation chunk is "OCHK", messages, then a 4-byte checksum.
                guard chunks[index].length >= 8, bytes.slice(cursor, 4).map({ Array($0) == Array("OCHK".utf8) }) == true else {
                    throw corrupt("object header continuation chunk")
                }
                cursor += 4
                end -= 4
            }
            guard end >= cursor, end <= bytes.count else { throw corrupt("object header chunk out of the file") }
            let headerSize: UInt64 = version2 ? (creationOrder ? 6 : 4) : 8
            while cursor + headerSize <= end {
                messages += 1
                guard messages <= Self.maxMessages else { throw corrupt("too many object header messages") }
                let type = version2 ? bytes.unsigned(cursor, 1) : bytes.unsigned(cursor, 2)
                guard let type, let size = bytes.unsigned(cursor + (version2 ? 1 : 2), 2) else { throw corrupt("object header message") }
                let body = cursor + headerSize
                guard body + size <= end, let data = bytes.slice(body, Int(size)) else {
                    throw corrupt("object header message runs past its chunk")
                }
                let flags = bytes.unsigned(cursor + (version2 ? 3 : 4), 1) ?? 0
                found.append(Message(type: type, flags: flags, data: data))
                if type == 0x10 {
                    guard let address = read(data, 0, sizeOfOffsets), let chunkLength = read(data, sizeOfOffsets, sizeOfLengths) else {
                        throw corrupt("object header continuation")
                    }
                    chunks.append((base &+ address, chunkLength))
                }
                cursor = body + size
            }
            index += 1
        }
    }

    // MARK: Attribute messages

    /// Returns the message's encoded length when it can be computed (dense storage packs them).
    @discardableResult
    func checkAttribute(_ message: ArraySlice<UInt8>) throws(HDF5Error) -> Int? {
        guard let version = read(message, 0, 1), let flags = read(message, 1, 1),
              let nameSize = read(message, 2, 2), let typeSize = read(message, 4, 2), let spaceSize = read(message, 6, 2) else {
            throw corrupt("attribute message too short")
        }
        guard [1, 2, 3].contains(version) else { throw corrupt("attribute message version \(version)") }
        // Version 1 has a reserved byte here; later versions allow only the two "shared" flags
        // (HDF5 fails to decode any other, and a failed decode crashes H5Aiterate2).
        let sharedFlags = version == 1 ? 0 : flags
        guard sharedFlags & ~0x03 == 0 else { throw corrupt("attribute message flags \(flags)") }
        // Shared datatypes or dataspaces live elsewhere: leave them to HDF5.
        if sharedFlags != 0 { return nil }
        func padded(_ size: UInt64) -> Int { Int(version == 1 ? (size + 7) & ~7 : size) }
        let nameStart = version == 3 ? 9 : 8
        let typeStart = nameStart + padded(nameSize)
        let spaceStart = typeStart + padded(typeSize)
        let dataStart = spaceStart + padded(spaceSize)
        guard nameSize >= 1, typeSize >= 8, spaceSize >= 4, dataStart <= message.count else {
            throw corrupt("attribute message sizes are inconsistent")
        }
        // HDF5 1.10.8 requires the stored name length to be the string's length plus its NUL.
        let name = message.dropFirst(nameStart).prefix(Int(nameSize))
        guard name.last == 0, !name.dropLast().contains(0) else { throw corrupt("attribute name length \(nameSize) does not match its name") }
        let elementSize = try datatypeSize(message, typeStart, end: typeStart + Int(typeSize), depth: 0)
        guard let count = try elementCount(message, spaceStart, size: Int(spaceSize)) else { return nil }
        let (dataSize, overflow) = count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, dataSize <= UInt64(message.count - dataStart) else {
            throw corrupt("attribute data (\(count) × \(elementSize) bytes) is larger than its message")
        }
        let length = dataStart + Int(dataSize)
        guard let typeClass = read(message, typeStart, 1), typeClass & 0x0F == 9 else { return length }
        // Variable-length data lives in the global heap: check each reference.
        let isString = (read(message, typeStart + 1, 1) ?? 0) & 0x0F == 1
        let baseSize = read(message, typeStart + 8 + 4, 4) ?? 0
        let referenceSize = 4 + sizeOfOffsets + 4
        var heapBytes: UInt64 = 0
        for element in 0..<Int(count) {
            let offset = dataStart + element * referenceSize
            guard let sequenceLength = read(message, offset, 4), let address = read(message, offset + 4, sizeOfOffsets),
                  let objectIndex = read(message, offset + 4 + sizeOfOffsets, 4) else { throw corrupt("attribute data") }
            if sequenceLength == 0 && (address == 0 || objectIndex == 0) { continue }
            let objectSize = try heapObjectSize(collection: address, index: objectIndex)
            let expected = sequenceLength * (isString ? 1 : baseSize)
            guard objectSize == expected else {
                throw corrupt("a variable-length value claims \(expected) bytes but its heap object holds \(objectSize)")
            }
            heapBytes += objectSize
            guard heapBytes <= UInt64(hdf5MaxAttributeBytes) else { throw tooLarge("a variable-length attribute holds more than \(heapBytes) bytes") }
        }
        return length
    }

    /// The element size of the datatype message at `start`, after checking its version, class and
    /// size are ones HDF5 decodes (a vlen's base type is checked the same way).
    private func datatypeSize(_ message: ArraySlice<UInt8>, _ start: Int, end: Int, depth: Int) throws(HDF5Error) -> UInt64 {
        guard depth < 8, end <= message.count, start + 8 <= end, let classAndVersion = read(message, start, 1),
              let size = read(message, start + 4, 4) else { throw corrupt("attribute datatype") }
        let typeClass = classAndVersion & 0x0F, version = classAndVersion >> 4
        guard (1...HDF5Library.newestDatatypeVersion).contains(version), typeClass <= 10 else { throw corrupt("attribute datatype class \(typeClass) version \(version)") }
        switch typeClass {
        case 0, 1, 4:  // fixed-point, floating-point, bitfield
            guard (1...16).contains(size) else { throw corrupt("attribute number of \(size) bytes") }
            // Bit offset and precision; a float adds exponent and mantissa fields and a bias.
            guard start + 8 + (typeClass == 1 ? 12 : 4) <= end else { throw corrupt("attribute datatype runs past its message") }
            let bits = read(message, start + 1, 1) ?? 0
            // HDF5 fails to decode a float with normalisation 3 or (version 3 on) bit 6 (VAX order) without bit 0.
            guard typeClass != 1 || ((bits >> 4) & 0x03 != 3 && (version < 3 || bits & 0x41 != 0x40)) else {
                throw corrupt("attribute floating-point type flags \(bits)")
            }
        case 9:  // variable-length: (length, heap address, index) on disk, then the base type
            guard size == UInt64(4 + sizeOfOffsets + 4) else { throw corrupt("variable-length attribute of \(size) bytes") }
            let baseSize = try datatypeSize(message, start + 8, end: end, depth: depth + 1)
            // Strings are sequences of 1-byte characters; other sequences must be of plain numbers or
            // strings (a damaged base type that HDF5 cannot decode crashes H5Aiterate2).
            let isString = (read(message, start + 1, 1) ?? 0) & 0x0F == 1
            let baseClass = (read(message, start + 8, 1) ?? 0xFF) & 0x0F
            guard isString ? baseClass == 0 && baseSize == 1 : [0, 1, 3].contains(baseClass) else {
                throw corrupt("variable-length attribute of base class \(baseClass)")
            }
        default:
            guard (1...(1 << 16)).contains(size) else { throw corrupt("attribute element of \(size) bytes") }
        }
        return size
    }

    /// Elements in the dataspace message of `size` bytes at `start` (nil for forms this check does not know).
    private func elementCount(_ message: ArraySlice<UInt8>, _ start: Int, size: Int) throws(HDF5Error) -> UInt64? {
        guard let version = read(message, start, 1), let rank = read(message, start + 1, 1),
              let flags = read(message, start + 2, 1) else { throw corrupt("dataspace") }
        guard version == 1 || version == 2, rank <= 32 else { throw corrupt("attribute dataspace version \(version) rank \(rank)") }
        // HDF5 decodes the dimensions (and maximum dimensions, flag 0x01) past a message too short for them.
        let dimensionBytes = Int(rank) * sizeOfLengths * (flags & 0x01 != 0 ? 2 : 1)
        guard (version == 1 ? 8 : 4) + dimensionBytes <= size else { throw corrupt("attribute dataspace runs past its \(size) bytes") }
        if version == 2 {
            guard let kind = read(message, start + 3, 1), kind <= 2 else { throw corrupt("attribute dataspace type") }
            if kind == 2 { return 0 }  // null dataspace
        }
        let dims = start + (version == 1 ? 8 : 4)
        var count: UInt64 = 1
        for axis in 0..<Int(rank) {
            guard let dimension = read(message, dims + axis * sizeOfLengths, sizeOfLengths) else { throw corrupt("dataspace") }
            let (product, overflow) = count.multipliedReportingOverflow(by: dimension)
            guard !overflow else { throw corrupt("dataspace too large") }
            count = product
        }
        return count
    }

    func read(_ data: ArraySlice<UInt8>, _ offset: Int, _ width: Int) -> UInt64? {
        guard offset >= 0, offset + width <= data.count else { return nil }
        var value: UInt64 = 0
        for byte in (0..<width).reversed() { value = value << 8 | UInt64(data[data.startIndex + offset + byte]) }
        return value
    }
}
