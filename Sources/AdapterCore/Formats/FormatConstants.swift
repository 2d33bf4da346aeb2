/// Names and numbers fixed by spec/format.md, in one place.
public enum FormatV1 {
    /// The only `format_version` this release reads and writes.
    public static let version: Int64 = 1
    /// `format` of a checkpoint.
    public static let checkpointFormat = "adaptool.checkpoint"
    /// `format` of an adapter.
    public static let adapterFormat = "adaptool.adapter"
    /// The group holding one subgroup per layer.
    public static let layersGroup = "layers"
    /// The version string written into `created_by`.
    public static let toolVersion = "adaptool 0.1.0"
}
