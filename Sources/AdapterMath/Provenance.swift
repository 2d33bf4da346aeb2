import AdapterCore
import Foundation

/// The provenance JSON a merge or unmerge writes into its output's `provenance` attribute.
public struct MergeProvenance: Codable, Equatable, Sendable {
    /// One adapter folded in (or removed).
    public struct Entry: Codable, Equatable, Sendable {
        /// The adapter file as given.
        public var path: String
        /// `lora` or `dora`.
        public var method: String
        /// The adapter's `base_fingerprint`.
        public var baseFingerprint: String
        /// SHA-256 of the adapter's contents (``Adapter/contentFingerprint``).
        public var adapterFingerprint: String
        /// The user's weight s.
        public var weight: Double
        /// The adapter's scaling (per-layer overrides are in the adapter file).
        public var scaling: Double
        /// DoRA's norm axis.
        public var normAxis: String?
        /// The layers it changed.
        public var layers: [String]

        enum CodingKeys: String, CodingKey {
            case path, method, weight, scaling, layers
            case baseFingerprint = "base_fingerprint", adapterFingerprint = "adapter_fingerprint", normAxis = "norm_axis"
        }
    }

    /// `merge` or `unmerge`.
    public var operation: String
    /// The tool and version.
    public var tool: String
    /// The input checkpoint file.
    public var input: String
    /// The input checkpoint's stored fingerprint.
    public var inputFingerprint: String
    /// How the arithmetic was done.
    public var precision: String
    /// The adapters, in command-line order.
    public var adapters: [Entry]

    enum CodingKeys: String, CodingKey {
        case operation, tool, input, precision, adapters
        case inputFingerprint = "input_fingerprint"
    }

    /// The compact JSON text (sorted keys).
    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(self) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }

    /// What ``precision`` says for every merge.
    public static let precisionNote = "float64 accumulation in row blocks (dgemm), DoRA norms in float64, rounded once to float32"
}

extension Adapter {
    /// SHA-256 of the adapter's tensors, fed to ``FingerprintHasher`` in `target_layers` order as
    /// records `<layer>/lora_A`, `<layer>/lora_B` and `<layer>/magnitude` (a 1 × n matrix), each
    /// without bias (spec/math.md §Provenance). Recorded in merge provenance to name the adapter.
    public var contentFingerprint: String {
        var hasher = FingerprintHasher()
        for layer in layers {
            hasher.update(name: layer.name + "/lora_A", weight: layer.a, bias: [])
            hasher.update(name: layer.name + "/lora_B", weight: layer.b, bias: [])
            if let magnitude = layer.magnitude {
                hasher.update(name: layer.name + "/magnitude", out: 1, in: magnitude.count, weight: magnitude, bias: [])
            }
        }
        return hasher.finalize()
    }
}
