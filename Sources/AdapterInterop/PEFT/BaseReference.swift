import AdapterCore
import Foundation

/// What an imported adapter is checked against and records as `base_fingerprint`: the base
/// checkpoint's layer shapes and fingerprint.
public struct BaseReference: Sendable {
    /// The base's fingerprint (spec/format.md §Fingerprint).
    public var fingerprint: String
    /// `[out, in]` of every base layer, in forward order.
    public var shapes: [(name: String, out: Int, in: Int)]

    /// A base given directly.
    public init(fingerprint: String, shapes: [(name: String, out: Int, in: Int)]) {
        self.fingerprint = fingerprint
        self.shapes = shapes
    }

    /// The base at `path`: an adaptool checkpoint (`.h5`, its stored fingerprint) or a safetensors
    /// state dict (converted in memory; the fingerprint is the one `adaptool import` would give it).
    public init(path: String) throws(InteropError) {
        if Self.isHDF5(path) {
            let file = try InteropError.wrapping { () throws(FormatError) in try CheckpointFile(path: path) }
            self.init(fingerprint: file.storedFingerprint, shapes: file.layerShapes)
        } else {
            let checkpoint = try StateDictConversion.checkpoint(from: SafetensorsFile(path: path))
            self.init(fingerprint: checkpoint.computeFingerprint(), shapes: checkpoint.layers.map { ($0.name, $0.outputSize, $0.inputSize) })
        }
    }

    /// Whether `path` is a regular file starting with the HDF5 signature (a file too short to tell,
    /// or anything but a regular file, is not HDF5; the reader then names the problem).
    static func isHDF5(_ path: String) -> Bool {
        guard let file = try? InputFile(path: path, expected: "a file"), file.size >= 8,
              let bytes = try? file.bytes(at: 0, count: 8) else { return false }
        return bytes == [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    }
}
