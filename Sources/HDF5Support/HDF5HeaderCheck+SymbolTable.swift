/// Groups in the original file format ("symbol table" groups, what h5py writes by default) keep
/// their links in a B-tree of symbol table nodes and their link names in a local heap. HDF5 1.10.8
/// trusts the addresses in both: an undefined heap data address or B-tree child made
/// `H5HL_protect` / `H5B_find` copy from a wild pointer (SIGSEGV), and a heap free list that loops
/// makes it allocate for ever. So both are walked before a name is looked up.
extension HDF5HeaderCheck {
    /// HDF5's end-of-free-list marker in a local heap (`H5HL_FREE_NULL`).
    private static let localHeapFreeListEnd: UInt64 = 1

    /// A symbol table message: its B-tree must be a group B-tree and its local heap intact.
    func checkSymbolTable(_ message: ArraySlice<UInt8>) throws(HDF5Error) {
        guard let tree = read(message, 0, sizeOfOffsets), let heap = read(message, sizeOfOffsets, sizeOfOffsets) else {
            throw corrupt("symbol table message too short")
        }
        var visited: Set<UInt64> = []
        try checkGroupNode(at: tree, level: nil, visited: &visited)
        try checkLocalHeap(at: heap)
    }

    /// A group B-tree node ("TREE", type 0) at `address` and, below it, every node it points at:
    /// children one level down, symbol table nodes ("SNOD") under level 0, each visited once.
    private func checkGroupNode(at address: UInt64, level expected: UInt64?, visited: inout Set<UInt64>) throws(HDF5Error) {
        let start = base &+ address
        guard visited.insert(address).inserted, let node = bytes.slice(start, 8), Array(node.prefix(4)) == Array("TREE".utf8),
              node[node.startIndex + 4] == 0, let level = read(node, 5, 1), let entries = read(node, 6, 2),
              expected.map({ $0 == level }) ?? true, entries <= 2 * groupNodeK.tree else {
            throw corrupt("a group's B-tree node at \(address) is damaged")
        }
        // After the header and two sibling addresses: key, child, key, … (a key is a heap offset).
        let (O, L) = (UInt64(sizeOfOffsets), UInt64(sizeOfLengths))
        for entry in 0..<entries {
            guard let child = bytes.unsigned(start + 8 + 2 * O + L + entry * (O + L), sizeOfOffsets) else {
                throw corrupt("a group's B-tree node at \(address) runs past the file")
            }
            if level > 0 {
                try checkGroupNode(at: child, level: level - 1, visited: &visited)
                continue
            }
            guard let symbols = bytes.slice(base &+ child, 8), Array(symbols.prefix(4)) == Array("SNOD".utf8),
                  symbols[symbols.startIndex + 4] == 1, let count = read(symbols, 6, 2), count <= 2 * groupNodeK.leaf else {
                throw corrupt("a group's B-tree points at \(child), which is not a symbol table node")
            }
        }
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
