/// Which adaptool format and version an HDF5 file says it is, read from its root attributes only:
/// what `FileKind.detect` and the CLI route on (v1 files to the v1 code, v2 files to FormatV2).
public enum FormatProbe {
    /// The root `format` and `format_version` of the HDF5 file at `path`: nil when it cannot be
    /// opened as HDF5 (with every input check: regular file, header pre-check) or has no string
    /// `format` attribute; a missing or non-integer `format_version` is reported as 0.
    public static func probe(path: String) -> (format: String, version: Int64)? {
        guard let root = try? HDF5File.openReadOnly(path).rootGroup(),
              case .string(let format)? = try? root.attribute("format") else { return nil }
        switch try? root.attribute("format_version") {
        case .integer(let version)?: return (format, version)
        case .integers(let versions)? where versions.count == 1: return (format, versions[0])
        default: return (format, 0)
        }
    }
}
