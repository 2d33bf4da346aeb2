/// Groups in the original file format ("symbol table" groups, what h5py writes by default) keep
/// their link names in a local heap. HDF5 1.10.8 trusts the heap's data address and size: an
/// undefined or out-of-file address made `H5HL_protect` copy from a wild pointer (SIGSEGV), and a
/// free list that loops makes it allocate for ever. So the heap is checked before a name is looked up.
extension HDF5HeaderCheck {
    /// HDF5's end-of-free-list marker in a local heap (`H5HL_FREE_NULL`).
    private static let localHeapFreeListEnd: UInt64 = 1

    /// A symbol table message: its B-tree must be a group B-tree and its local heap intact.
    func checkSymbolTable(_ message: ArraySlice<UInt8>) throws(HDF5Error) {
        guard let tree = read(message, 0, sizeOfOffsets), let heap = read(message, sizeOfOffsets, sizeOfOffsets) else {
            throw corrupt("symbol table message too short")
        }
        // "TREE", node type 0 (group nodes).
        guard let node = bytes.slice(base &+ tree, 5), Array(node.prefix(4)) == Array("TREE".utf8), node.last == 0 else {
            throw corrupt("a group's symbol table points at \(tree), which is not a group B-tree")
        }
        try checkLocalHeap(at: heap)
    }

    /// A local heap: signature and version, a data segment inside the file, and a free list that
    /// stays inside the data segment and ends.
    private func checkLocalHeap(at address: UInt64) throws(HDF5Error) {
        let start = base &+ address
        let L = UInt64(sizeOfLengths)
        guard let head = bytes.slice(start, 8), Array(head.prefix(4)) == Array("HEAP".utf8), head[head.startIndex + 4] == 0,
              let dataSize = bytes.unsigned(start + 8, sizeOfLengths),
              let freeList = bytes.unsigned(start + 8 + L, sizeOfLengths),
              let dataAddress = bytes.unsigned(start + 8 + 2 * L, sizeOfOffsets) else {
            throw corrupt("a group's symbol table points at \(address), which is not a local heap")
        }
        let (dataStart, wrapped) = base.addingReportingOverflow(dataAddress)
        guard dataSize > 0, !wrapped, dataAddress != undefinedAddress, dataStart <= bytes.count,
              dataSize <= bytes.count - dataStart else {
            throw corrupt("local heap at \(address) claims \(dataSize) bytes at \(dataAddress), outside the file")
        }
        // Each free block starts with (next offset, size); HDF5 follows `next` without a step limit.
        var block = freeList, visited: Set<UInt64> = []
        while block != Self.localHeapFreeListEnd {
            guard block < dataSize, 2 * L <= dataSize - block, visited.insert(block).inserted,
                  let next = bytes.unsigned(dataStart + block, sizeOfLengths),
                  let size = bytes.unsigned(dataStart + block + L, sizeOfLengths), next != 0, size <= dataSize - block else {
                throw corrupt("local heap at \(address) has a bad free list")
            }
            block = next
        }
    }
}
