/// Typed access to the attributes the v1 formats define, with the file named in every error.
struct V1AttributeReader {
    let holder: any HDF5AttributeHolder
    let filePath: String
    var objectName: String { holder.path == "/" ? "the root group" : holder.path }

    func optional(_ name: String) throws(FormatError) -> HDF5AttributeValue? {
        try FormatError.wrapping { () throws(HDF5Error) in try holder.attribute(name) }
    }

    func required(_ name: String) throws(FormatError) -> HDF5AttributeValue {
        guard let value = try optional(name) else {
            throw .missingAttribute(path: filePath, object: objectName, name: name)
        }
        return value
    }

    func invalid(_ name: String, _ problem: String) -> FormatError {
        .invalidAttribute(path: filePath, object: objectName, name: name, problem: problem)
    }

    func string(_ name: String) throws(FormatError) -> String {
        guard case .string(let text) = try required(name) else { throw invalid(name, "must be a string") }
        return text
    }

    func optionalString(_ name: String) throws(FormatError) -> String? {
        guard let value = try optional(name) else { return nil }
        guard case .string(let text) = value else { throw invalid(name, "must be a string") }
        return text
    }

    func integer(_ name: String) throws(FormatError) -> Int64 {
        guard let value = try optionalInteger(name) else {
            throw .missingAttribute(path: filePath, object: objectName, name: name)
        }
        return value
    }

    func optionalInteger(_ name: String) throws(FormatError) -> Int64? {
        switch try optional(name) {
        case nil: return nil
        case .integer(let number)?: return number
        case .integers(let numbers)? where numbers.count == 1: return numbers[0]
        default: throw invalid(name, "must be an integer")
        }
    }

    func number(_ name: String) throws(FormatError) -> Double {
        guard let value = try optionalNumber(name) else {
            throw .missingAttribute(path: filePath, object: objectName, name: name)
        }
        return value
    }

    func optionalNumber(_ name: String) throws(FormatError) -> Double? {
        switch try optional(name) {
        case nil: return nil
        case .double(let number)?: return number
        case .integer(let number)?: return Double(number)
        case .doubles(let numbers)? where numbers.count == 1: return numbers[0]
        case .integers(let numbers)? where numbers.count == 1: return Double(numbers[0])
        default: throw invalid(name, "must be a number")
        }
    }

    func strings(_ name: String) throws(FormatError) -> [String] {
        guard let value = try optionalStrings(name) else {
            throw .missingAttribute(path: filePath, object: objectName, name: name)
        }
        return value
    }

    func optionalStrings(_ name: String) throws(FormatError) -> [String]? {
        switch try optional(name) {
        case nil: return nil
        case .strings(let texts)?: return texts
        case .string(let text)?: return [text]
        default: throw invalid(name, "must be an array of strings")
        }
    }

    func optionalIntegers(_ name: String) throws(FormatError) -> [Int]? {
        switch try optional(name) {
        case nil: return nil
        case .integers(let numbers)?: return numbers.map { Int(truncatingIfNeeded: $0) }
        case .integer(let number)?: return [Int(truncatingIfNeeded: number)]
        default: throw invalid(name, "must be an array of integers")
        }
    }

    func optionalNumbers(_ name: String) throws(FormatError) -> [Double]? {
        switch try optional(name) {
        case nil: return nil
        case .doubles(let numbers)?: return numbers
        case .double(let number)?: return [number]
        case .integers(let numbers)?: return numbers.map(Double.init)
        case .integer(let number)?: return [Double(number)]
        default: throw invalid(name, "must be an array of numbers")
        }
    }

    /// Checks `format` and `format_version`: the first thing read from any adaptool file.
    func requireFormat(_ expected: String) throws(FormatError) {
        let found: String?
        switch try optional("format") {
        case .string(let text)?: found = text
        default: found = nil
        }
        guard found == expected else { throw .wrongKind(path: filePath, expected: expected, found: found) }
        let version = try integer("format_version")
        guard version == FormatV1.version else {
            throw .unsupportedVersion(path: filePath, found: version, supported: FormatV1.version)
        }
    }

    /// Layer names must be non-empty, unique, and usable as one HDF5 path component.
    func layerNameList(_ name: String) throws(FormatError) -> [String] {
        let names = try strings(name)
        if let problem = V1Rules.layerNamesProblem(names) { throw invalid(name, problem) }
        return names
    }
}

/// Writes the v1 attributes with one error type.
struct V1AttributeWriter {
    let holder: any HDF5AttributeHolder

    func set(_ name: String, _ value: HDF5AttributeValue?) throws(FormatError) {
        guard let value else { return }
        try FormatError.wrapping { () throws(HDF5Error) in try holder.setAttribute(name, value) }
    }
}
