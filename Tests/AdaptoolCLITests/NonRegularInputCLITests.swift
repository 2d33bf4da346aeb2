import AdapterKit
import AdapterTestSupport
import Foundation
import Testing

/// Issue 8, item 3: an input that is not a regular file (a FIFO, a device) is refused with one
/// line before it is opened, by every command and for every kind of input file; a FIFO used to
/// make `open` block for ever. Each run is under `timeout`, so a regression fails instead of hanging.
@Suite struct NonRegularInputCLITests {
    /// Commands given a FIFO where an HDF5 file, a safetensors file or a PEFT folder is expected.
    @Test(arguments: [
        ["inspect", "FIFO"], ["inspect", "--verify", "FIFO"], ["merge", "BASE", "FIFO", "-o", "OUT"], ["merge", "FIFO", "ADAPTER", "-o", "OUT"],
        ["diff", "BASE", "FIFO"], ["eval", "FIFO", "--synthetic"], ["export", "FIFO", "-o", "OUT"], ["import", "FIFO", "-o", "OUT"],
        ["import", "SAFETENSORS", "-o", "OUT"], ["unmerge", "FIFO", "ADAPTER", "-o", "OUT"],
    ])
    func aFIFOIsRefusedBeforeItIsOpened(_ command: [String]) throws {
        let dir = try TemporaryDirectory()
        let fifo = dir.file(command.contains("SAFETENSORS") ? "model.safetensors" : "input.h5")
        #expect(mkfifo(fifo, 0o600) == 0)
        let (base, adapter) = (dir.file("base.h5"), dir.file("adapter.h5"))
        let checkpoint = Checkpoint.random(sizes: [4, 3], seed: 1)
        try checkpoint.write(to: base)
        try Adapter.random(for: checkpoint, method: .lora, rank: 1, seed: 2).write(to: adapter)
        let before = try dir.contents()
        let substitutes = ["FIFO": fifo, "SAFETENSORS": fifo, "BASE": base, "ADAPTER": adapter, "OUT": dir.file("out.h5")]
        let result = try InputTest.adaptool(command.map { substitutes[$0] ?? $0 })
        InputTest.expectOneErrorLine(result, naming: fifo, status: command.first == "diff" ? 2 : 1, containing: "is a FIFO (named pipe), not a regular file")
        #expect(try dir.contents() == before)
    }

    /// A FIFO inside a PEFT folder (the weights) or a CIFAR-10 folder (a batch, the class names).
    @Test(arguments: ["adapter_model.safetensors", "test_batch.bin", "batches.meta.txt"])
    func aFIFOInsideAnInputFolderIsRefused(_ name: String) throws {
        let dir = try TemporaryDirectory()
        let folder = dir.file("input")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let fifo = folder + "/" + name
        let arguments: [String]
        if name == "adapter_model.safetensors" {
            try Data(#"{"peft_type": "LORA", "r": 1, "lora_alpha": 1, "target_modules": ["fc1"]}"#.utf8).write(to: URL(fileURLWithPath: folder + "/adapter_config.json"))
            arguments = ["import", folder, "-o", dir.file("out.h5")]
        } else {
            let model = dir.file("model.h5")
            try Checkpoint.random(sizes: [3072, 10], seed: 3).write(to: model)
            if name == "batches.meta.txt" {
                try CIFAR10.write(CIFAR10Split(pixels: [UInt8](repeating: 7, count: 2 * CIFAR10.imageBytes), labels: [1, 2]), to: folder + "/test_batch.bin")
            }
            arguments = ["eval", model, "--data", folder]
        }
        #expect(mkfifo(fifo, 0o600) == 0)
        let result = try InputTest.adaptool(arguments)
        InputTest.expectOneErrorLine(result, naming: fifo, containing: "is a FIFO (named pipe), not a regular file")
        #expect(!FileManager.default.fileExists(atPath: dir.file("out.h5")))
    }

    /// A device is refused the same way (and `/dev/zero` would otherwise never end).
    @Test(arguments: [["inspect", "/dev/zero"], ["import", "/dev/zero", "-o", "OUT"], ["export", "/dev/zero", "-o", "OUT"]])
    func aDeviceIsRefused(_ command: [String]) throws {
        let dir = try TemporaryDirectory()
        let result = try InputTest.adaptool(command.map { $0 == "OUT" ? dir.file("out") : $0 })
        InputTest.expectOneErrorLine(result, naming: "/dev/zero", containing: "is a device, not a regular file")
        #expect(try dir.contents().isEmpty)
    }

    /// A Unix socket (left behind by a program that bound it) is refused too.
    @Test(arguments: [["inspect", "SOCKET"], ["import", "SOCKET", "-o", "OUT"]])
    func aSocketIsRefused(_ command: [String]) throws {
        let dir = try TemporaryDirectory()
        let socket = dir.file("socket.h5")
        try InputTest.python("import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])", [socket])
        let result = try InputTest.adaptool(command.map { ["SOCKET": socket, "OUT": dir.file("out")][$0] ?? $0 })
        InputTest.expectOneErrorLine(result, naming: socket, containing: "is a socket, not a regular file")
        #expect(try dir.contents() == ["socket.h5"])
    }
}
