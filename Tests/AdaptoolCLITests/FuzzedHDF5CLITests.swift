import AdapterTestSupport
import Foundation
import Testing

/// Damaged HDF5 files the seeded fuzzer (`make fuzz`, Benchmarks/fuzz) found crashing adaptool
/// after the header pre-check (``HDF5HeaderCheck``) was in place: each is a fixture with a few bytes
/// overwritten, run through the command that crashed, and must now end in one error line.
@Suite struct FuzzedHDF5CLITests {
    /// One damaged input: `fixture` with `bytes` written at each offset, run as `arguments`
    /// (`IN` is the damaged file, `OUT` an output path that must not appear, `ADAPTER` and `BASE` a
    /// valid adapter and checkpoint).
    struct Case: CustomTestStringConvertible, Sendable {
        let what: String
        let fixture: String
        let patches: [(offset: Int, bytes: [UInt8])]
        let arguments: [String]
        var testDescription: String { what }
    }

    /// All ones in a size or address field (the fuzzer's "size-field blast").
    private static let allOnes = [UInt8](repeating: 0xFF, count: 8)

    static let cases: [Case] = [
        // A symbol-table group's local heap with an undefined data address: H5HL_protect copied
        // from a wild pointer (SIGSEGV) when `inspect` looked up "layers" (fuzz case hdf5-9417).
        Case(what: "local heap data address undefined", fixture: "soft_link.h5", patches: [(704, allOnes)],
             arguments: ["inspect", "IN"]),
        // An attribute datatype of version 4, which HDF5 1.10 cannot decode: H5Aiterate2 then freed
        // a NULL entry (SIGSEGV) in `export` and `inspect` (fuzz case hdf5-6419).
        Case(what: "attribute datatype version 4", fixture: "checkpoint_bigendian.h5", patches: [(1872, [0x49])],
             arguments: ["export", "IN", "-o", "OUT"]),
        // A global heap object of 2^64 − 236 bytes: the pre-check's own size sum trapped with an
        // arithmetic overflow (fuzz case hdf5-4618).
        Case(what: "global heap object size near 2^64", fixture: "adapter_libver_latest.h5", patches: [(2256, allOnes)],
             arguments: ["inspect", "--verify", "IN"]),
        // An attribute name length one padding byte too long (23 for "normalization_mean"): HDF5
        // fails to decode the message and H5Aiterate2 crashes in `merge` (fuzz seed 11, case 2665).
        Case(what: "attribute name length past its NUL", fixture: "checkpoint_float16.h5", patches: [(1418, [23])],
             arguments: ["merge", "IN", "ADAPTER", "-o", "OUT"]),
        // An attribute dataspace message shorter than its rank's dimensions, and a float attribute
        // type with normalisation 3: HDF5 fails to decode them, then H5Aiterate2 crashes (found by a
        // byte sweep of the root group's attribute messages).
        Case(what: "attribute dataspace shorter than its dimensions", fixture: "checkpoint_float16.h5", patches: [(1326, [8])],
             arguments: ["merge", "IN", "ADAPTER", "-o", "OUT"]),
        Case(what: "attribute float normalisation 3", fixture: "checkpoint_float16.h5", patches: [(1449, [0x30])],
             arguments: ["merge", "IN", "ADAPTER", "-o", "OUT"]),
        // The root group's header continuation at an undefined address: HDF5 reads it inside
        // H5Fopen, through a wild pointer (fuzz case hdf5-726 of seed 14; bad_normalization.h5 in
        // an earlier run).
        Case(what: "root group header continuation undefined", fixture: "bad_normalization.h5", patches: [(120, allOnes)],
             arguments: ["inspect", "--json", "IN"]),
        // The same in a layer's object header: HDF5 reads it when the object is opened.
        Case(what: "object header continuation undefined", fixture: "adapter_lora.h5", patches: [(10624, allOnes)],
             arguments: ["inspect", "--verify", "IN"]),
        // A group B-tree whose child is an undefined address: H5B_find read it through a wild
        // pointer when a link was looked up (fuzz case hdf5-649 of seed 13).
        Case(what: "group B-tree child undefined", fixture: "scalar_weight.h5", patches: [(7168, allOnes)],
             arguments: ["inspect", "--json", "IN"]),
        // The same in an adapter's root group, which `merge` asked for "layers" before reading any
        // attribute (found by hand after the case above).
        Case(what: "root group B-tree child undefined", fixture: "adapter_lora.h5", patches: [(168, allOnes)],
             arguments: ["merge", "BASE", "IN", "-o", "OUT"]),
    ]

    @Test(arguments: cases)
    func damagedFileIsOneErrorLine(_ damaged: Case) throws {
        let dir = try TemporaryDirectory()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: FixtureExpectations.path(damaged.fixture))))
        for patch in damaged.patches { bytes.replaceSubrange(patch.offset..<patch.offset + patch.bytes.count, with: patch.bytes) }
        let input = dir.file("in.h5"), output = dir.file("out.safetensors")
        try Data(bytes).write(to: URL(fileURLWithPath: input))
        let adapter = FixtureExpectations.path("adapter_lora.h5")
        let base = FixtureExpectations.path("checkpoint.h5")
        let arguments = damaged.arguments.map { ["IN": input, "OUT": output, "ADAPTER": adapter, "BASE": base][$0] ?? $0 }
        let result = try InputTest.adaptool(arguments)
        InputTest.expectOneErrorLine(result, naming: input, containing: "corrupt file")
        #expect(try InputTest.leftovers(in: dir.path).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: output), "an output was written")
        #expect(try Data(contentsOf: URL(fileURLWithPath: input)) == Data(bytes), "the input changed")
    }
}
