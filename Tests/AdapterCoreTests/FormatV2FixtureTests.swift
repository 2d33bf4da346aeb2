import Foundation
import Testing
@testable import AdapterCore
import AdapterTestSupport

/// Format v2 against its independent h5py implementation (Fixtures/v2/write_v2.py): the library
/// reads what it wrote with the same names, dtypes, shapes, bytes and digests
/// (Fixtures/v2/expected_v2.json), and refuses every invalid fixture with the expected message.
@Suite struct FormatV2FixtureTests {
    nonisolated(unsafe) static let expected: [String: Any] = {
        let path = PackagePaths.fixtures + "/v2/expected_v2.json"
        guard let data = FileManager.default.contents(atPath: path),
              let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            Issue.record("cannot load \(path)")
            return [:]
        }
        return json
    }()
    static var valid: [String: [String: Any]] { expected["valid"] as? [String: [String: Any]] ?? [:] }
    static var invalid: [String: String] { expected["invalid"] as? [String: String] ?? [:] }
    static var invalidNames: [String] { invalid.keys.sorted() }
    static var invalidAdapters: [String: String] { expected["invalid_adapters"] as? [String: String] ?? [:] }
    static var invalidAdapterNames: [String] { invalidAdapters.keys.sorted() }
    static func path(_ name: String) -> String { PackagePaths.fixtures + "/v2/" + name }

    static func bytes(ofHex hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16) ?? 0 }
    }

    /// The mixed-dtype checkpoint, and the same values stored big-endian (read byte-swapped).
    @Test(arguments: ["checkpoint_v2.h5", "checkpoint_v2_bigendian.h5"])
    func readsCheckpoint(_ fixture: String) throws {
        let expected = try #require(Self.valid[fixture])
        let file = try TensorCheckpointFile(path: Self.path(fixture))
        #expect(file.architecture == expected["architecture"] as? String)
        #expect(file.fingerprint == expected["fingerprint"] as? String)
        if fixture == "checkpoint_v2.h5" { #expect(file.safetensorsMetadata == #"{"format": "pt"}"#) }
        let tensors = try #require(expected["tensors"] as? [[String: Any]])
        #expect(file.tensors.map(\.name) == tensors.compactMap { $0["name"] as? String }, "stored order")
        let shards = expected["shards"] as? [String: String] ?? [:]
        var digests: [(name: String, digest: String)] = []
        for tensor in tensors {
            let name = try #require(tensor["name"] as? String)
            let info = try #require(file.info(named: name))
            #expect(info.dtype.rawValue == tensor["dtype"] as? String, "\(name)")
            #expect(info.shape == tensor["shape"] as? [Int], "\(name)")
            let bytes = try file.rawBytes(of: name)
            #expect(bytes == Self.bytes(ofHex: tensor["hex"] as? String ?? ""), "\(name) bytes")
            let digest = bytes.withUnsafeBytes { TensorDigest.digest(of: info, bytes: $0) }
            #expect(digest == tensor["sha256"] as? String, "\(name): Swift's digest must equal hashlib's")
            #expect(file.digest(of: name) == digest)
            #expect(file.shard(of: name) == shards[name])
            digests.append((name, digest))
        }
        #expect(TensorDigest.modelFingerprint(digests) == file.fingerprint, "model fingerprint recipe")
        let files = expected["files"] as? [String: String] ?? [:]
        #expect(file.attachedFiles == files.keys.sorted())
        for (name, hex) in files { #expect(try file.attachedFile(named: name) == Self.bytes(ofHex: hex)) }
        let verification = try file.verify()
        #expect(verification.isValid && verification.computedFingerprint == file.fingerprint)
    }

    @Test func widensFloatTensorsExactlyAndRefusesIntegers() throws {
        let file = try TensorCheckpointFile(path: Self.path("checkpoint_v2.h5"))
        let bf16 = try file.float64Values(of: "model.embed_tokens.weight")
        let bits = try file.rawBytes(of: "model.embed_tokens.weight")
        #expect(bf16[0] == Double(Float(bitPattern: UInt32(bits[0]) << 16 | UInt32(bits[1]) << 24)))
        #expect(throws: FormatError.self) { try file.float64Values(of: "model.position_ids") }
    }

    @Test(arguments: ["adapter_lora_v2.h5", "adapter_dora_v2.h5"])
    func readsAdapter(_ name: String) throws {
        let expected = try #require(Self.valid[name])
        let file = try TensorAdapterFile(path: Self.path(name))
        #expect(file.manifest.method == expected["method"] as? String)
        #expect(file.manifest.baseFingerprint == expected["base_fingerprint"] as? String)
        let targets = try #require(expected["targets"] as? [[String: Any]])
        #expect(file.manifest.targets.map(\.tensor) == targets.compactMap { $0["tensor"] as? String }, "stored order")
        for (target, want) in zip(file.manifest.targets, targets) {
            #expect(target.rank == want["rank"] as? Int && target.scaling == want["scaling"] as? Double && target.layout.rawValue == want["layout"] as? String)
            let factors = try #require(want["factors"] as? [String: [String: Any]])
            #expect(Set(target.factors.keys) == Set(factors.keys))
            for (role, factor) in factors {
                let bytes = try file.factorBytes(tensor: target.tensor, role: role)
                #expect(bytes == Self.bytes(ofHex: factor["hex"] as? String ?? ""), "\(target.tensor) \(role)")
                #expect(file.factorDigest(tensor: target.tensor, role: role) == factor["sha256"] as? String)
                let info = try #require(target.factors[role])
                #expect(info.shape == factor["shape"] as? [Int] && info.dtype.rawValue == factor["dtype"] as? String)
                let values = try file.factorValues(tensor: target.tensor, role: role)
                #expect(values == info.dtype.float64Values(fromLittleEndian: bytes, count: info.elementCount))
            }
        }
        #expect(try file.firstMismatchedFactor() == nil)
    }

    @Test(arguments: invalidNames)
    func refusesInvalid(_ name: String) throws {
        let message = try #require(Self.invalid[name])
        do {
            _ = try TensorCheckpointFile(path: Self.path(name))
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.description.contains(message), "\(name): \(error.description)")
            #expect(error.description.hasPrefix(Self.path(name) + ":") || error.description.contains("\"\(Self.path(name))\""), "names the file: \(error)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test(arguments: invalidAdapterNames)
    func refusesInvalidAdapter(_ name: String) throws {
        let message = try #require(Self.invalidAdapters[name])
        do {
            _ = try TensorAdapterFile(path: Self.path(name))
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.description.hasPrefix(Self.path(name) + ":") && error.description.contains(message), "\(name): \(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func verifyNamesTheTamperedTensor() throws {
        let verification = try TensorCheckpointFile(path: Self.path("v2_tampered.h5")).verify()
        #expect(verification.firstMismatch == "b" && verification.mismatchCount == 1 && !verification.isValid)
    }

    @Test func v1AndV2ReadersRefuseEachOthersFiles() throws {
        let v1 = PackagePaths.fixtures + "/checkpoint.h5"
        #expect(throws: FormatError.unsupportedVersion(path: v1, found: 1, supported: 2)) { try TensorCheckpointFile(path: v1) }
        #expect(throws: FormatError.unsupportedVersion(path: PackagePaths.fixtures + "/adapter_lora.h5", found: 1, supported: 2)) {
            try TensorAdapterFile(path: PackagePaths.fixtures + "/adapter_lora.h5")
        }
        let v2 = Self.path("checkpoint_v2.h5")
        do { _ = try CheckpointFile(path: v2); Issue.record("v1 reader accepted a v2 file") } catch {
            #expect(error.description.contains("format_version 2 is not supported by this version-1 reader; v2 files are read by the v2 readers"), "\(error)")
        }
        #expect(throws: FormatError.wrongKind(path: Self.path("adapter_lora_v2.h5"), expected: "adaptool.checkpoint", found: "adaptool.adapter")) {
            try TensorCheckpointFile(path: Self.path("adapter_lora_v2.h5"))
        }
    }

    @Test func probeReportsFormatAndVersion() {
        #expect(FormatProbe.probe(path: Self.path("checkpoint_v2.h5"))! == ("adaptool.checkpoint", 2))
        #expect(FormatProbe.probe(path: Self.path("adapter_dora_v2.h5"))! == ("adaptool.adapter", 2))
        #expect(FormatProbe.probe(path: PackagePaths.fixtures + "/checkpoint.h5")! == ("adaptool.checkpoint", 1))
        #expect(FormatProbe.probe(path: PackagePaths.fixtures + "/not_hdf5.h5") == nil)
        #expect(FormatProbe.probe(path: PackagePaths.fixtures + "/foreign.h5") == nil)
    }
}
