import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// Issue 8, item 4: an input truncated by another program while adaptool reads it used to kill
/// the process with SIGBUS (the file was memory-mapped) and leave the output's temporary file
/// behind. Inputs are now read with `pread`: the outcome is success (the read finished first) or
/// one error line, never a signal, and never a leftover.
///
/// The file is truncated as soon as the process has it open or mapped (seen in `/proc/PID/fd` and
/// `/proc/PID/maps`), which is well before a large input is read through.
@Suite struct ShrinkingInputCLITests {
    @Test func importOfASafetensorsFileThatShrinks() throws {
        let dir = try TemporaryDirectory()
        let input = dir.file("big.safetensors")
        // Four 64 MiB layers: reading and converting them takes far longer than noticing the open.
        try InputTest.python("""
            import numpy as np, sys
            from safetensors.numpy import save_file
            n = 4096
            tensors = {}
            for i in range(4):
                tensors[f"layers.{2 * i}.weight"] = np.full((n, n), 0.5, "<f4")
                tensors[f"layers.{2 * i}.bias"] = np.zeros(n, "<f4")
            save_file(tensors, sys.argv[1])
            """, [input])
        let result = try runTruncating(input, to: 1 << 20, ["import", input, "-o", dir.file("out.h5")])
        expectSuccessOrOneLine(result, naming: input)
        #expect(try InputTest.leftovers(in: dir.path).isEmpty)
    }

    /// The v2 paths (issue 11: tensors read with pread on every core): a model that is not an MLP
    /// state dict shrinking during import, and its v2 checkpoint shrinking during export.
    @Test func importAndExportOfAModelThatShrinks() throws {
        let dir = try TemporaryDirectory()
        let input = dir.file("model.safetensors")
        try InputTest.python("""
            import numpy as np, sys
            from safetensors.numpy import save_file
            save_file({f"model.layers.{i}.mlp.up_proj.weight": np.full((4096, 2048), 0.5, "<f4") for i in range(8)}, sys.argv[1])
            """, [input])
        let model = dir.file("model.h5")
        #expect(try ExternalProcess.adaptool(["import", input, "-o", model]).status == 0)
        let imported = try runTruncating(input, to: 1 << 20, ["import", input, "-o", dir.file("out.h5")])
        expectSuccessOrOneLine(imported, naming: input)
        let exported = try runTruncating(model, to: 1 << 20, ["export", model, "-o", dir.file("out.safetensors")])
        expectSuccessOrOneLine(exported, naming: model)
        #expect(try InputTest.leftovers(in: dir.path).isEmpty)
    }

    @Test func evalOfACIFARBatchThatShrinks() throws {
        let dir = try TemporaryDirectory()
        let data = dir.file("data")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let images = 30_000
        let split = CIFAR10Split(pixels: [UInt8](repeating: 100, count: images * CIFAR10.imageBytes), labels: (0..<images).map { UInt8($0 % 10) })
        try CIFAR10.write(split, to: data + "/test_batch.bin")
        let model = dir.file("model.h5")
        try Checkpoint.random(sizes: [3072, 10], seed: 4).write(to: model)
        let result = try runTruncating(data + "/test_batch.bin", to: 2 * CIFAR10.recordBytes, ["eval", model, "--data", data])
        expectSuccessOrOneLine(result, naming: data + "/test_batch.bin")
        #expect(try InputTest.leftovers(in: dir.path).isEmpty)
    }

    private func expectSuccessOrOneLine(_ result: ProcessResult, naming file: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!result.crashed, "killed by signal \(result.status - 128): \(result.stderr)", sourceLocation: sourceLocation)
        if result.status != 0 { InputTest.expectOneErrorLine(result, naming: file, sourceLocation: sourceLocation) }
    }

    /// Runs adaptool with `arguments` and truncates `file` to `size` bytes as soon as the process
    /// has it open or mapped (or gives up when the process ends first).
    private func runTruncating(_ file: String, to size: off_t, _ arguments: [String]) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = [InputTest.timeoutSeconds, PackagePaths.adaptoolBinary] + arguments
        let out = Pipe(), err = Pipe()
        (process.standardOutput, process.standardError, process.standardInput) = (out, err, FileHandle.nullDevice)
        nonisolated(unsafe) var errData = Data(), outData = Data()
        try process.run()
        let readers = [Thread { errData = err.fileHandleForReading.readDataToEndOfFile() },
                       Thread { outData = out.fileHandleForReading.readDataToEndOfFile() }]
        readers.forEach { $0.start() }
        while process.isRunning {
            if let child = childID(of: process.processIdentifier), uses(file, pid: child) {
                #expect(truncate(file, size) == 0)
                break
            }
            usleep(200)
        }
        process.waitUntilExit()
        while readers.contains(where: { !$0.isFinished }) { usleep(1000) }
        return InputTest.underTimeout(ProcessResult(
            status: process.terminationStatus, crashed: process.terminationReason == .uncaughtSignal,
            stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self)))
    }

    /// The adaptool process `timeout` started.
    private func childID(of pid: Int32) -> Int32? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/task/\(pid)/children", encoding: .utf8) else { return nil }
        return text.split(separator: " ").first.flatMap { Int32($0) }
    }

    /// Whether process `pid` has `file` open or mapped.
    private func uses(_ file: String, pid: Int32) -> Bool {
        let fds = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []
        if fds.contains(where: { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\($0)")) == file }) { return true }
        return (try? String(contentsOfFile: "/proc/\(pid)/maps", encoding: .utf8))?.contains(file) ?? false
    }
}
