import Foundation

extension AtomicOutput {
    /// Writes `text` (UTF-8) to `destination` atomically under the ``OutputDestination`` rules: a
    /// folder is never replaced, an existing file only with `overwrite`, and a failure or an
    /// interruption leaves no file behind (the hidden temporary file is deleted).
    public static func write(text: String, to destination: String, overwrite: Bool) throws(FormatError) {
        let output = try AtomicOutput(destination: destination, overwrite: overwrite)
        do { try Data(text.utf8).write(to: URL(fileURLWithPath: output.temporaryPath)) } catch {
            throw .io(path: destination, problem: "cannot be written (\(error.localizedDescription))")
        }
        try output.commit()
    }
}
