import Foundation
import Testing
@testable import AdapterCore
import AdapterTestSupport

/// The library reads every file the independent h5py implementation wrote (Fixtures/generate.py)
/// and finds exactly the values listed in Fixtures/expected.json; it refuses every invalid one
/// with the expected message.
@Suite struct FixtureConformanceTests {
    static let expectations: FixtureExpectations = {
        do { return try FixtureExpectations.load() } catch {
            Issue.record("cannot load Fixtures/expected.json: \(error)")
            return FixtureExpectations(valid: [:], invalid: [:])
        }
    }()

    static var checkpointNames: [String] { expectations.valid.filter { $0.value.kind == "checkpoint" }.keys.sorted() }
    static var adapterNames: [String] { expectations.valid.filter { $0.value.kind == "adapter" }.keys.sorted() }
    static var invalidNames: [String] { expectations.invalid.keys.sorted() }

    @Test func fixturesCoverTheRequiredCases() {
        let valid = Set(Self.expectations.valid.keys)
        for name in ["checkpoint.h5", "checkpoint_float64.h5", "checkpoint_float16.h5", "checkpoint_compressed.h5",
                     "adapter_lora.h5", "adapter_dora_output.h5", "adapter_dora_input.h5"] {
            #expect(valid.contains(name), "missing fixture \(name)")
        }
        #expect(Self.invalidNames.count >= 20)
    }

    @Test(arguments: checkpointNames)
    func readsCheckpoint(_ name: String) throws {
        let expected = try #require(Self.expectations.valid[name])
        let file = try CheckpointFile(path: FixtureExpectations.path(name))
        #expect(file.layerNames == expected.layerNames)
        #expect(file.storedFingerprint == expected.fingerprint)
        #expect(file.parameterCount == expected.parameters)
        #expect(file.metadata.inputShape == expected.inputShape)
        #expect(file.metadata.normalizationMean == expected.normalizationMean)
        #expect(file.metadata.normalizationStd == expected.normalizationStd)
        #expect(file.metadata.classNames == expected.classNames)
        for (name, pair) in zip(file.layerNames, file.datasets) {
            #expect(pair.weight.shape == expected.shapes?[name]?["weight"])
            #expect(pair.bias.shape == expected.shapes?[name]?["bias"])
            #expect(pair.weight.dtype == expected.dtype)
            #expect(pair.weight.compression == expected.compression)
        }
        let checkpoint = try file.read()
        for layer in checkpoint.layers {
            let values = try #require(expected.values?[layer.name])
            #expect(bits(layer.weight.values) == bits(values["weight"] ?? []), "weight of \(layer.name) in \(name)")
            #expect(bits(layer.bias) == bits(values["bias"] ?? []), "bias of \(layer.name) in \(name)")
        }
        // The fingerprint recomputed by the library equals the one Python computed from the spec.
        #expect(checkpoint.computeFingerprint() == expected.fingerprint)
        #expect(try file.verify().fingerprint == expected.fingerprint)
    }

    @Test(arguments: adapterNames)
    func readsAdapter(_ name: String) throws {
        let expected = try #require(Self.expectations.valid[name])
        let adapter = try Adapter.read(from: FixtureExpectations.path(name))
        #expect(adapter.method.rawValue == expected.method)
        #expect(adapter.rank == expected.rank)
        #expect(adapter.alpha == expected.alpha)
        #expect(adapter.scaling == expected.scaling)
        #expect(adapter.normAxis?.rawValue == expected.normAxis)
        #expect(adapter.targetLayers == expected.targetLayers)
        #expect(adapter.baseFingerprint == expected.baseFingerprint)
        #expect(adapter.parameterCount == expected.parameters)
        for layer in adapter.layers {
            let want = try #require(expected.layers?[layer.name])
            #expect(layer.scaling == want.scaling, "scaling of \(layer.name) in \(name)")
            #expect(layer.a.shape == want.loraAShape)
            #expect(layer.b.shape == want.loraBShape)
            #expect(layer.magnitude.map { [$0.count] } == want.magnitudeShape)
            #expect(bits(layer.a.values) == bits(want.loraA))
            #expect(bits(layer.b.values) == bits(want.loraB))
            #expect(layer.magnitude.map(bits) == want.magnitude.map(bits))
        }
    }

    @Test(arguments: invalidNames)
    func refusesInvalidFile(_ name: String) throws {
        let expected = try #require(Self.expectations.invalid[name])
        let path = FixtureExpectations.path(name)
        let message: String?
        switch (expected.kind, expected.stage) {
        case ("checkpoint", "open"):
            message = captureError { _ = try Checkpoint.read(from: path) }
            #expect(throws: FormatError.self) { try Checkpoint.read(from: path) }
        case ("adapter", "open"):
            message = captureError { _ = try Adapter.read(from: path) }
            #expect(throws: FormatError.self) { try Adapter.read(from: path) }
        default:
            // Structurally valid: opening works, --verify must fail.
            _ = try CheckpointFile(path: path)
            message = captureError { try FileInspection.inspect(path: path, verify: true).requireVerified() }
        }
        let text = try #require(message, "\(name) was accepted; expected an error containing \"\(expected.error)\"")
        #expect(text.contains(expected.error), "\(name): \(text)")
        #expect(text.contains(path), "the message names the file: \(text)")
        #expect(!text.contains("\n"), "one line: \(text)")
    }

    /// The error's one-line message; open-stage failures must be ``FormatError``s.
    private func captureError(_ body: () throws -> Void) -> String? {
        do { try body(); return nil } catch {
            #expect(error is FormatError || error is VerificationFailure, "unexpected error type \(type(of: error))")
            return String(describing: error)
        }
    }

    private func bits(_ values: [Float]) -> [UInt32] { values.map(\.bitPattern) }
    private func bits(_ values: [Double]) -> [UInt32] { values.map { Float($0).bitPattern } }
}
