import Foundation
import Testing
@testable import AdapterCore
import AdapterTestSupport

/// `FileInspection`: what `adaptool inspect` reports, checked on the h5py fixtures.
@Suite struct FileInspectionTests {
    let expectations = try? FixtureExpectations.load()

    @Test func describesACheckpointFromMetadata() throws {
        let inspection = try FileInspection.inspect(path: FixtureExpectations.path("checkpoint_compressed.h5"))
        #expect(inspection.kind == .checkpoint)
        #expect(inspection.formatVersion == 1)
        #expect(inspection.verification == nil)
        #expect(inspection.datasets.map { "\($0.layer)/\($0.name)" } == ["fc1/weight", "fc1/bias", "fc2/weight", "fc2/bias"])
        let weight = inspection.datasets[0]
        #expect(weight.shape == [8, 12] && weight.parameters == 96 && weight.dtype == "float32")
        #expect(weight.layout == "chunked" && weight.compression == "shuffle+deflate(6)+fletcher32")
        #expect(weight.storedBytes > 0)
        #expect(inspection.checkpoint?.layerShapes == [[8, 12], [3, 8]])
        #expect(inspection.checkpoint?.fingerprint == expectations?.valid["checkpoint.h5"]?.fingerprint)
        #expect(inspection.attributes["activation"] == .string("relu"))
        #expect(inspection.attributes["input_shape"] == .integers([3, 2, 2]))
    }

    @Test func describesAnAdapterWithAndWithoutItsBase() throws {
        let path = FixtureExpectations.path("adapter_lora.h5")
        let alone = try #require(try FileInspection.inspect(path: path).adapter)
        #expect(alone.method == .lora && alone.rank == 2 && alone.scaling == 2 && alone.normAxis == nil)
        #expect(alone.layerOverrides == ["fc2": LayerOverride(rank: 3, scaling: 0.5)])
        #expect(alone.shareOfBase == nil && alone.baseParameters == nil && alone.baseFingerprintMatches == nil)

        let inspection = try FileInspection.inspect(path: path, base: FixtureExpectations.path("checkpoint.h5"), verify: true)
        let facts = try #require(inspection.adapter)
        // fc1: A 2×12 + B 8×2; fc2: A 3×8 + B 3×3 → 24 + 16 + 24 + 9 = 73 of 96 + 8 + 24 + 3 = 131.
        #expect(facts.trainableParameters == 73)
        #expect(facts.baseParameters == 131)
        #expect(facts.shareOfBase == 73.0 / 131.0)
        #expect(facts.baseFingerprintMatches == true)
        #expect(inspection.isVerified)
        #expect(inspection.verification?.map(\.name) == ["shapes", "finite", "base fingerprint", "base shapes"])
    }

    @Test func adapterAgainstTheWrongBaseFailsVerification() throws {
        let dir = try TemporaryDirectory()
        let other = dir.file("other.h5")
        try Checkpoint.random(sizes: [12, 5, 3], seed: 1).write(to: other)
        let inspection = try FileInspection.inspect(path: FixtureExpectations.path("adapter_dora_output.h5"), base: other, verify: true)
        #expect(inspection.adapter?.baseFingerprintMatches == false)
        let failure = #expect(throws: VerificationFailure.self) { try inspection.requireVerified() }
        #expect(failure?.failed.map(\.name) == ["base fingerprint", "base shapes"])
        #expect(failure?.description.contains("fc1: B·A is [8, 12], the base weight is [5, 12]") == true)
    }

    @Test func verifyCatchesAWrongFingerprintAndANaN() throws {
        for (name, check) in [("wrong_fingerprint.h5", "fingerprint"), ("nan_weight.h5", "finite")] {
            let inspection = try FileInspection.inspect(path: FixtureExpectations.path(name), verify: true)
            #expect(!inspection.isVerified)
            #expect(inspection.verification?.filter { !$0.passed }.map(\.name) == [check], "\(name)")
        }
        let good = try FileInspection.inspect(path: FixtureExpectations.path("checkpoint_float16.h5"), verify: true)
        #expect(good.isVerified)
        #expect(throws: Never.self) { try good.requireVerified() }
    }

    @Test func listsAForeignTreeWithoutFollowingLinks() throws {
        let inspection = try FileInspection.inspect(path: FixtureExpectations.path("foreign.h5"))
        #expect(inspection.kind == .foreign)
        let tree = try #require(inspection.tree)
        let expected = try #require(expectations?.valid["foreign.h5"]?.tree)
        #expect(Dictionary(uniqueKeysWithValues: tree.map { ($0.path, $0.kind) }) == expected)
        #expect(tree.first { $0.path == "/data/alias" }?.target == "/data/images")
        #expect(tree.first { $0.path == "/elsewhere" }?.target == "other.h5:/x")
        #expect(tree.first { $0.path == "/data/images" }?.dataset?.dtype == "int32")
        #expect(tree.first { $0.path == "/data/images" }?.dataset?.shape == [2, 3, 4])
        #expect(inspection.attributes["title"] == .string("not an adaptool file"))
        let verified = try FileInspection.inspect(path: FixtureExpectations.path("foreign.h5"), verify: true)
        #expect(!verified.isVerified)
    }

    @Test func encodesAsOneJSONDocumentAndBack() throws {
        let inspection = try FileInspection.inspect(path: FixtureExpectations.path("adapter_dora_input.h5"), verify: true)
        let data = try JSONEncoder().encode(inspection)
        // Attribute numbers lose their integer/float distinction in JSON; everything else round-trips.
        let decoded = try JSONDecoder().decode(FileInspection.self, from: data)
        #expect(decoded.adapter == inspection.adapter && decoded.datasets == inspection.datasets)
        #expect(decoded.verification == inspection.verification && decoded.kind == .adapter)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect((object["attributes"] as? [String: Any])?["norm_axis"] as? String == "input")
    }
}
