import Foundation

/// Prints values as one JSON document on stdout (sorted keys, so output is stable).
enum JSONOutput {
    /// Encodes and prints `value`.
    static func print<T: Encodable>(_ value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(value)
        FileHandle.standardOutput.write(Data(escapingC1Controls(String(decoding: data, as: UTF8.self)).utf8))
        FileHandle.standardOutput.write(Data("\n".utf8))
    }

    /// JSONEncoder escapes C0 controls but leaves DEL and the C1 controls (U+007F–U+009F, among them
    /// U+009B, the one-character CSI some terminals obey) raw. They can only occur inside strings,
    /// where `\u00XX` is the same value, so the document stays valid and equal.
    static func escapingC1Controls(_ json: String) -> String {
        guard json.unicodeScalars.contains(where: { (0x7F...0x9F).contains($0.value) }) else { return json }
        var result = String.UnicodeScalarView()
        for scalar in json.unicodeScalars {
            if (0x7F...0x9F).contains(scalar.value) {
                result.append(contentsOf: String(format: "\\u%04x", scalar.value).unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }
}
