import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// `inspect` given something that is not an HDF5 file says what it is and which command takes it,
/// instead of HDF5's "file signature not found".
@Suite struct InspectSniffingCLITests {
    private static let transformers = PackagePaths.fixtures + "/transformers"

    @Test(arguments: [
        (transformers + "/llama-f16/model.safetensors", "is a safetensors file; inspect reads adaptool .h5 files: import it first"),
        (transformers + "/llama-f32", "is a Hugging Face model folder; import it to inspect it"),
        (transformers + "/llama-dora", "is a PEFT adapter folder; import it against its base"),
    ])
    func modelFilesPointToImport(path: String, expected: String) throws {
        InputTest.expectOneErrorLine(try ExternalProcess.adaptool(["inspect", path]), naming: path, containing: expected)
    }

    @Test func anEmptyFileAndAPNGSayWhatTheyAre() throws {
        let dir = try TemporaryDirectory()
        #expect(FileManager.default.createFile(atPath: dir.file("empty.h5"), contents: Data()))
        #expect(FileManager.default.createFile(atPath: dir.file("picture.h5"), contents: Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13])))
        for (name, what) in [("empty.h5", "is an empty file"), ("picture.h5", "is a PNG image")] {
            let result = try ExternalProcess.adaptool(["inspect", dir.file(name)])
            InputTest.expectOneErrorLine(result, naming: dir.file(name), containing: what + ", not an HDF5 file")
            #expect(!result.stderr.contains("signature"), "\(result.stderr)")
        }
    }
}
