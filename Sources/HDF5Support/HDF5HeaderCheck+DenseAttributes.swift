/// Dense attribute storage: with many attributes (HDF5's default is more than 8, in files written
/// with the newest layout) attribute messages live in a fractal heap instead of the object header.
/// The pre-check walks the heap's direct blocks and checks every attribute message it finds there
/// the same way; forms it cannot walk (filtered heaps, deep indirect blocks) are left to HDF5.
extension HDF5HeaderCheck {
    /// Checks the attributes stored in the fractal heap named by an attribute info message.
    func checkDenseAttributes(_ message: ArraySlice<UInt8>) throws(HDF5Error) {
        guard read(message, 0, 1) == 0, let flags = read(message, 1, 1) else { throw corrupt("attribute info message version") }
        let offset = 2 + (flags & 0x01 != 0 ? 2 : 0)
        guard let heapAddress = read(message, offset, sizeOfOffsets) else { throw corrupt("attribute info message too short") }
        if heapAddress == undefinedAddress { return }
        try checkFractalHeap(at: heapAddress)
    }

    /// All ones: HDF5's "no address".
    var undefinedAddress: UInt64 { sizeOfOffsets == 8 ? .max : (UInt64(1) << (8 * sizeOfOffsets)) - 1 }

    private func checkFractalHeap(at address: UInt64) throws(HDF5Error) {
        let start = base &+ address
        let L = UInt64(sizeOfLengths), O = UInt64(sizeOfOffsets)
        guard bytes.slice(start, 4).map({ Array($0) == Array("FRHP".utf8) }) == true,
              let filterLength = bytes.unsigned(start + 7, 2), let heapFlags = bytes.unsigned(start + 9, 1) else {
            throw corrupt("attribute storage at \(address) is not a fractal heap")
        }
        // Attributes too large for the heap's blocks are "huge objects" stored on their own; HDF5
        // reads each whole when it lists the attributes, so their total is capped before it can.
        guard let hugeBytes = bytes.unsigned(start + 14 + 6 * L + 2 * O, sizeOfLengths) else { throw corrupt("fractal heap header") }
        guard hugeBytes <= UInt64(hdf5MaxAttributeBytes) else {
            throw tooLarge("attributes stored outside the object header hold \(hugeBytes) bytes")
        }
        if filterLength != 0 { return }  // compressed heap blocks: left to HDF5
        let table = start + 14 + 10 * L + 2 * O
        guard let width = bytes.unsigned(table, 2), let startBlock = bytes.unsigned(table + 2, sizeOfLengths),
              let maxDirect = bytes.unsigned(table + 2 + L, sizeOfLengths), let maxHeapBits = bytes.unsigned(table + 2 + 2 * L, 2),
              let root = bytes.unsigned(table + 2 + 2 * L + 4, sizeOfOffsets),
              let rows = bytes.unsigned(table + 2 + 2 * L + 4 + O, 2) else { throw corrupt("fractal heap header") }
        guard width >= 1, width <= 1 << 16, startBlock >= 64, startBlock <= maxDirect, maxDirect <= 1 << 30,
              startBlock.nonzeroBitCount == 1, maxDirect.nonzeroBitCount == 1, maxHeapBits <= 64 else {
            throw corrupt("fractal heap header values")
        }
        if root == undefinedAddress { return }
        let layout = (offsetBytes: Int((maxHeapBits + 7) / 8), checksummed: heapFlags & 0x02 != 0)
        if rows == 0 {
            try checkDirectBlock(at: root, size: startBlock, layout: layout)
            return
        }
        // Root indirect block: `width` entries per row; the first rows hold direct blocks.
        let directRows = UInt64(maxDirect.trailingZeroBitCount - startBlock.trailingZeroBitCount + 2)
        let indirect = base &+ root
        guard bytes.slice(indirect, 4).map({ Array($0) == Array("FHIB".utf8) }) == true, rows <= 64 else {
            throw corrupt("fractal heap root block")
        }
        var entry = indirect + 5 + O + UInt64(layout.offsetBytes)
        for row in 0..<min(rows, directRows) {
            let blockSize = row < 2 ? startBlock : startBlock << (row - 1)
            for _ in 0..<width {
                guard let child = bytes.unsigned(entry, sizeOfOffsets) else { throw corrupt("fractal heap indirect block") }
                entry += O
                if child != undefinedAddress { try checkDirectBlock(at: child, size: blockSize, layout: layout) }
            }
        }
    }

    /// Walks the attribute messages packed in one direct block, stopping at free space.
    private func checkDirectBlock(at address: UInt64, size: UInt64, layout: (offsetBytes: Int, checksummed: Bool)) throws(HDF5Error) {
        let start = base &+ address
        guard let block = bytes.slice(start, Int(size)), Array(block.prefix(4)) == Array("FHDB".utf8) else {
            throw corrupt("fractal heap direct block at \(address)")
        }
        var cursor = block.startIndex + 5 + sizeOfOffsets + layout.offsetBytes + (layout.checksummed ? 4 : 0)
        while cursor < block.endIndex, let version = read(block[cursor...], 0, 1), (1...3).contains(version) {
            guard let length = try checkAttribute(block[cursor...]), length > 0 else { return }
            cursor += length
        }
    }
}
