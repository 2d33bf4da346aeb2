/// The root group's object header is loaded by `H5Fopen` itself, before any object can be checked:
/// a continuation chunk at an undefined address there made HDF5 1.10.8 copy from a wild pointer
/// inside `H5Fopen`. So the superblock is read here first, and the root group's header chunks are
/// checked the way every other object's are.
extension HDF5HeaderCheck {
    /// The 8 bytes that start an HDF5 superblock.
    private static let superblockSignature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Checks the root group's object header chunks of the file `input` before HDF5 opens it. A
    /// superblock this does not know is left to `H5Fopen`, which refuses what is not HDF5.
    static func checkRootGroup(of input: InputFile, path: String) throws(HDF5Error) {
        let bytes = FileBytes(input)
        // HDF5 looks for the superblock at 0, then 512, 1024, 2048, … (after a user block).
        var location: UInt64 = 0
        while location < bytes.count, bytes.slice(location, 8).map({ Array($0) != superblockSignature }) ?? true {
            location = location == 0 ? 512 : location * 2
        }
        guard let version = bytes.unsigned(location + 8, 1) else { return }
        let sizesAt: UInt64 = version < 2 ? 13 : 9
        guard let offsets = bytes.unsigned(location + sizesAt, 1), let lengths = bytes.unsigned(location + sizesAt + 1, 1),
              [2, 4, 8].contains(offsets), [2, 4, 8].contains(lengths) else { return }
        // Versions 0 and 1: base, free-space, end-of-file and driver addresses, then the root
        // group's symbol table entry (link name offset, object header address); version 1 has 4
        // more bytes before them. Versions 2 and 3: base, extension, end-of-file, root header.
        let rootAt: UInt64
        switch version {
        case 0: rootAt = 24 + 5 * offsets
        case 1: rootAt = 28 + 5 * offsets
        case 2, 3: rootAt = 12 + 3 * offsets
        default: return
        }
        guard let root = bytes.unsigned(location + rootAt, Int(offsets)) else { return }
        let check = HDF5HeaderCheck(bytes: bytes, sizeOfOffsets: Int(offsets), sizeOfLengths: Int(lengths), base: location, path: path)
        try check.checkChunks(header: root)
    }
}
