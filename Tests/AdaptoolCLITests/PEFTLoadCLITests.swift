import AdapterTestSupport
import Foundation
import Testing

/// PEFT itself loads what `adaptool export` writes and computes what `adaptool merge` computed.
/// Needs a Python with torch and peft (several GB, so not installed by `make deps`): set
/// PEFT_PYTHON to it to run these; they are skipped otherwise.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["PEFT_PYTHON"] != nil, "set PEFT_PYTHON to a Python with torch and peft"))
struct PEFTLoadCLITests {
    let fixtures = PackagePaths.fixtures + "/interop"

    @Test(arguments: ["peft_lora", "peft_dora", "peft_rslora", "peft_pattern"])
    func peftLoadsTheExportedFolderAndAgreesWithOurMerge(_ folder: String) throws {
        let dir = try TemporaryDirectory()
        let baseState = fixtures + "/base_state_dict.safetensors"
        let steps: [[String]] = [
            ["import", baseState, "-o", dir.file("base.h5")],
            ["import", fixtures + "/" + folder, "--base", dir.file("base.h5"), "-o", dir.file("adapter.h5")],
            ["merge", dir.file("base.h5"), dir.file("adapter.h5"), "-o", dir.file("merged.h5")],
            ["export", dir.file("merged.h5"), "-o", dir.file("merged.safetensors")],
            ["export", dir.file("adapter.h5"), "-o", dir.file("exported-peft")],
        ]
        for step in steps {
            let result = try ExternalProcess.adaptool(step)
            try #require(result.status == 0, "adaptool \(step.joined(separator: " ")): \(result.stderr)")
        }
        let python = try #require(ProcessInfo.processInfo.environment["PEFT_PYTHON"])
        // PEFT on the original folder checks our import and merge; on the exported one, our export.
        for peftFolder in [fixtures + "/" + folder, dir.file("exported-peft")] {
            let check = try ExternalProcess.run(python, [fixtures + "/peft_load_check.py", baseState, peftFolder, dir.file("merged.safetensors")])
            #expect(check.status == 0, "\(peftFolder): \(check.stdout)\(check.stderr)")
            #expect(check.stdout.contains("\"ok\": true"))
        }
    }
}
