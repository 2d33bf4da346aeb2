import AdapterCore
import AdapterTestSupport
import Foundation
import Testing

/// Issue 8, items 7 and 12: files current h5py writes. Fixed-length ASCII strings (spec §1.2) are
/// read; a dataset layout only HDF5 2.0 reads (h5py `libver="latest"`, chunked and filtered) is
/// one line naming the h5py setting that writes a readable file — and that setting is checked.
@Suite struct H5pyCompatibilityCLITests {
    /// Python defining `layer(f)`: one 3 × 12 layer whose fingerprint (spec §4) is stored.
    private let layerWriter = InputTest.checkpointHeader + """
        sys.path.insert(0, sys.argv[2])
        from fingerprint import fingerprint
        W, B = np.arange(36, dtype="<f4").reshape(3, 12) / 36, np.arange(3, dtype="<f4")
        def layer(f, **options):
            f.attrs["fingerprint"] = fingerprint([("fc1", W, B)])
            g = f.create_group("layers/fc1")
            g.create_dataset("weight", data=W, **options)
            g.create_dataset("bias", data=B)

        """

    @Test func fixedLengthASCIIStringAttributesAreRead() throws {
        let dir = try TemporaryDirectory()
        let path = dir.file("fixed_strings.h5")
        try InputTest.python(layerWriter + """
            with checkpoint(sys.argv[1]) as f:
                layer(f)
                for key in ["format", "architecture", "activation", "fingerprint"]:
                    f.attrs[key] = np.bytes_(f.attrs[key])           # scalar fixed-length ASCII
                f.attrs["layer_names"] = np.array([b"fc1"], dtype="S3")
                f.attrs["class_names"] = np.array([b"cat", b"dog", b"owl"], dtype="S3")
                f.attrs["created_by"] = np.array(b"h5py  ", dtype="S8")  # trailing spaces and NULs are dropped
            """, [path, PackagePaths.fixtures])
        let result = try InputTest.adaptool(["inspect", "--verify", "--json", path])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let attributes = try #require(json["attributes"] as? [String: Any])
        #expect(attributes["class_names"] as? [String] == ["cat", "dog", "owl"], "\(attributes)")
        #expect(attributes["created_by"] as? String == "h5py", "\(attributes)")
        #expect(attributes["format"] as? String == "adaptool.checkpoint")
    }

    @Test func aLayoutOnlyHDF52ReadsNamesTheH5pySettingToUse() throws {
        let dir = try TemporaryDirectory()
        let (latest, readable) = (dir.file("latest.h5"), dir.file("v114.h5"))
        try InputTest.python(layerWriter + """
            with checkpoint(sys.argv[1], libver="latest") as f:
                layer(f, chunks=(1, 12), compression="gzip", shuffle=True)
            with checkpoint(sys.argv[3], libver=("earliest", "v114")) as f:
                layer(f, chunks=(1, 12), compression="gzip", shuffle=True)
            """, [latest, PackagePaths.fixtures, readable])
        let refused = try InputTest.adaptool(["inspect", "--verify", latest])
        InputTest.expectOneErrorLine(refused, naming: latest,
                                     containing: #"newer HDF5 file-format version (HDF5 2.0, libver="latest") than libhdf5 1.10 reads; write it with h5py.File(..., libver=("earliest", "v114"))"#)
        let read = try InputTest.adaptool(["inspect", "--verify", readable])
        #expect(read.status == 0, "the recommended setting must write a file adaptool reads: \(read.stderr)")
    }
}
