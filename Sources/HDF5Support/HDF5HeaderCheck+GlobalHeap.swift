/// The object sizes of the global heap collections an ``HDF5HeaderCheck`` has parsed, by the
/// collection's address.
///
/// Every variable-length value of an attribute names a collection and an object in it. Walking the
/// whole collection for each value made a list of n layer names cost n walks of n objects: with
/// 1,000 layers, 2.9 million `pread` calls before the file was opened. Each collection is now
/// walked once per file and looked up by index afterwards.
final class GlobalHeapCollections {
    /// Object index → object size, per collection address.
    var objectSizes: [UInt64: [UInt64: UInt64]] = [:]
}

extension HDF5HeaderCheck {
    /// The size of object `index` in the global heap collection at `collection`, after checking that
    /// the whole collection parses within its bounds (HDF5 parses all of it when loading it).
    func heapObjectSize(collection: UInt64, index: UInt64) throws(HDF5Error) -> UInt64 {
        let sizes: [UInt64: UInt64]
        if let known = collections.objectSizes[collection] {
            sizes = known
        } else {
            sizes = try parseCollection(at: collection)
            collections.objectSizes[collection] = sizes
        }
        guard let found = sizes[index] else { throw corrupt("a variable-length value names heap object \(index), which does not exist") }
        return found
    }

    /// Walks the collection at `collection` once, checking every object stays within it; returns
    /// each object's size by index (a repeated index keeps its last size, as the walk did).
    private func parseCollection(at collection: UInt64) throws(HDF5Error) -> [UInt64: UInt64] {
        let start = base &+ collection
        guard let head = bytes.slice(start, 8 + sizeOfLengths), Array(head.prefix(4)) == Array("GCOL".utf8),
              head[head.startIndex + 4] == 1, let size = bytes.unsigned(start + 8, sizeOfLengths) else {
            throw corrupt("a variable-length value points at \(collection), which is not a global heap collection")
        }
        // HDF5 collections are at least 4 KiB; the upper bound keeps hostile sizes from mattering.
        guard size >= 4096, size <= 1 << 30, start + size <= bytes.count else { throw corrupt("global heap collection size \(size)") }
        let end = start + size
        let objectHeader = UInt64(8 + sizeOfLengths)
        var cursor = start + 8 + UInt64(sizeOfLengths)
        var sizes: [UInt64: UInt64] = [:]
        while cursor + objectHeader <= end {
            guard let objectIndex = bytes.unsigned(cursor, 2), let objectSize = bytes.unsigned(cursor + 8, sizeOfLengths) else {
                throw corrupt("global heap object")
            }
            // A size read from the file is bounded by the collection's (at most 2^30) before any sum.
            guard objectSize <= size else { throw corrupt("global heap object \(objectIndex) runs past its collection") }
            // The free-space object (index 0) counts its own header; HDF5 loops for ever on a size
            // that does not move past it, so every object must advance the walk.
            let next = objectIndex == 0 ? cursor + objectSize : cursor + objectHeader + ((objectSize + 7) & ~7)
            guard objectIndex != 0 || objectSize >= objectHeader else { throw corrupt("global heap free space of \(objectSize) bytes") }
            guard next <= end else { throw corrupt("global heap object \(objectIndex) runs past its collection") }
            sizes[objectIndex] = objectSize
            cursor = next
        }
        return sizes
    }
}
