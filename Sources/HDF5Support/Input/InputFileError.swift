/// A file that cannot be read as an input: missing, unreadable, not a regular file, or shorter
/// than it was when opened. The modules above turn it into their own error (`FormatError.io`,
/// `TrainingError.io`) with the same `path: problem` line.
package struct InputFileError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The path as the user gave it.
    package let path: String
    /// What is wrong, without the path.
    package let problem: String

    package init(path: String, problem: String) {
        self.path = path
        self.problem = problem
    }

    /// `path: problem`, one error line.
    package var description: String { "\(path): \(problem)" }
}
