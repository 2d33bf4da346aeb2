import AdapterCore
import Foundation

/// What a path a user names is, found once for every command: an adaptool HDF5 file (checkpoint or
/// adapter, with its `format_version`), another HDF5 file, a safetensors file, a PEFT adapter
/// folder, a Hugging Face model folder, nothing at all, or something else (described in words).
///
/// Detection reads a few bytes (file signatures, a safetensors header length) and, for HDF5, the
/// two root attributes `format` and `format_version` (``FormatProbe``); never tensor data. It never blocks: a FIFO,
/// socket or device is reported as `.other` from `stat`, before anything opens it.
public enum FileKind: Sendable, Equatable {
    /// An adaptool checkpoint (`format = "adaptool.checkpoint"`); `version` is `format_version`
    /// (0 when absent or not an integer: the v1 reader then names the problem).
    case checkpoint(version: Int64)
    /// An adaptool adapter (`format = "adaptool.adapter"`).
    case adapter(version: Int64)
    /// An HDF5 file that is not adaptool's (or whose root cannot be read: the reader a command
    /// routes it to names the problem): `format` is its `format` attribute, if it is a string.
    case foreignHDF5(format: String?)
    /// A file that starts like a safetensors file (an 8-byte header length, then `{`).
    case safetensors
    /// A PEFT adapter folder (`adapter_config.json` + `adapter_model.safetensors`).
    case peftFolder(PEFTFolder)
    /// A Hugging Face model folder (`config.json` + `model.safetensors` or its shard index).
    case modelFolder(ModelFolder)
    /// Nothing exists at the path.
    case missing
    /// Anything else, in a few words ("a PNG image", "a FIFO (named pipe)", "a folder with neither
    /// config.json nor adapter_config.json").
    case other(String)

    /// Whether this is an adaptool HDF5 file of format version 1 (or one whose version the v1
    /// reader must judge: absent, or neither 1 nor 2), which the v1 code reads.
    public var isVersion1: Bool {
        switch self {
        case .checkpoint(let version), .adapter(let version): return version != FormatV2.version
        default: return false
        }
    }

    /// A few words saying what the path is, for messages ("an adaptool checkpoint (format v2)").
    public var summary: String {
        switch self {
        case .checkpoint(let version): return "an adaptool checkpoint\(Self.versionText(version))"
        case .adapter(let version): return "an adaptool adapter\(Self.versionText(version))"
        case .foreignHDF5(let format):
            return format.map { "an HDF5 file of format \"\($0)\", not an adaptool file" } ?? "an HDF5 file that is not an adaptool file (no format attribute)"
        case .safetensors: return "a safetensors file"
        case .peftFolder: return "a PEFT adapter folder"
        case .modelFolder: return "a Hugging Face model folder"
        case .missing: return "nothing (no such file or folder)"
        case .other(let description): return description
        }
    }

    private static func versionText(_ version: Int64) -> String { version > 0 ? " (format v\(version))" : "" }

    /// What `path` is.
    public static func detect(_ path: String) -> FileKind {
        var status = stat()
        guard stat(path, &status) == 0 else {
            return errno == ENOENT || errno == ENOTDIR ? .missing : .other("a path that cannot be examined (\(String(cString: strerror(errno))))")
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: return folderKind(path)
        case S_IFREG: return fileKind(path)
        case S_IFIFO: return .other("a FIFO (named pipe)")
        case S_IFSOCK: return .other("a socket")
        case S_IFCHR, S_IFBLK: return .other("a device")
        default: return .other("not a regular file")
        }
    }

    private static func folderKind(_ path: String) -> FileKind {
        if let model = ModelFolder.detect(path) { return .modelFolder(model) }
        let files = FileManager.default
        let hasConfig = files.fileExists(atPath: path + "/" + PEFTFolder.configName)
        let hasWeights = files.fileExists(atPath: path + "/" + PEFTFolder.weightsName)
        if hasConfig && hasWeights { return .peftFolder(PEFTFolder(folder: path)) }
        if hasConfig { return .other("a folder with \(PEFTFolder.configName) but no \(PEFTFolder.weightsName)") }
        if hasWeights { return .other("a folder with \(PEFTFolder.weightsName) but no \(PEFTFolder.configName)") }
        return .other(files.fileExists(atPath: path + "/config.json") ? configWithoutWeights : plainFolder)
    }

    private static func fileKind(_ path: String) -> FileKind {
        guard let file = try? InputFile(path: path, expected: "a file") else { return .other("a file that cannot be read") }
        guard file.size > 0 else { return .other(emptyFile) }
        guard let head = try? file.bytes(at: 0, count: min(file.size, signatureBytes)) else { return .other("a file that cannot be read") }
        if head.starts(with: hdf5Signature) { return hdf5Kind(path) }
        if isSafetensors(head, size: file.size) { return .safetensors }
        if let known = signatures.first(where: { head.starts(with: $0.bytes) }) { return .other(known.description) }
        if head.first == UInt8(ascii: "{") || head.first == UInt8(ascii: "[") { return .other("a JSON or text file") }
        return .other("a file of unknown kind")
    }

    /// Bytes read to recognise a file: the longest signature, and a safetensors header length plus
    /// its first character.
    private static let signatureBytes = 16

    /// HDF5's superblock signature at offset 0 (adaptool never writes a user block).
    static let hdf5Signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]

    /// Signatures of files people pass by mistake, with what to call them.
    private static let signatures: [(bytes: [UInt8], description: String)] = [
        ([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "a PNG image"),
        ([0xFF, 0xD8, 0xFF], "a JPEG image"),
        ([0x50, 0x4B, 0x03, 0x04], "a ZIP archive (a PyTorch .bin/.pt checkpoint is one; adaptool never loads pickles)"),
        ([0x80], "a Python pickle (adaptool never loads pickles)"),
        ([0x1F, 0x8B], "a gzip archive"),
        ([0x47, 0x47, 0x55, 0x46], "a GGUF file"),
        ([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59], "a NumPy .npy array"),
    ]

    /// Whether `description` (of ``other(_:)``) names something that is no model or adapter at all
    /// (an image, an archive, a pickle, a folder without model or adapter files): commands refuse it
    /// in those words instead of reporting a malformed safetensors header or a missing PEFT file.
    public static func isMistakenInput(_ description: String) -> Bool {
        description == configWithoutWeights || description == plainFolder || signatures.contains { $0.description == description }
    }

    /// How an empty file is described.
    public static let emptyFile = "an empty file"

    private static let configWithoutWeights = "a folder with config.json but neither model.safetensors nor \(ModelFolder.indexName)"
    private static let plainFolder = "a folder with neither config.json nor \(PEFTFolder.configName)"

    /// A safetensors file starts with its header's length (u64 LE, within the file and the header
    /// cap) followed by the header's opening brace.
    private static func isSafetensors(_ head: [UInt8], size: Int) -> Bool {
        guard head.count > 8, head[8] == UInt8(ascii: "{") else { return false }
        let length = head[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return length >= 2 && length <= UInt64(SafetensorsHeader.maximumSize) && 8 + Int(length) <= size
    }

    /// The kind of an HDF5 file, from its root's `format` and `format_version` attributes
    /// (``FormatProbe``, which also reports a file whose root cannot be read as nil).
    private static func hdf5Kind(_ path: String) -> FileKind {
        guard let (format, version) = FormatProbe.probe(path: path) else { return .foreignHDF5(format: nil) }
        switch format {
        case FormatV1.checkpointFormat: return .checkpoint(version: version)
        case FormatV1.adapterFormat: return .adapter(version: version)
        default: return .foreignHDF5(format: format)
        }
    }
}
