/// One named tensor as a file describes it: name, element type and shape, with element and byte
/// counts computed once and checked for overflow (a header cannot make them wrap).
public struct TensorInfo: Equatable, Sendable {
    /// The tensor's name (a state-dict key such as `model.layers.0.self_attn.q_proj.weight`).
    public let name: String
    /// Its element type.
    public let dtype: TensorDType
    /// Its shape (`[]` for a scalar).
    public let shape: [Int]
    /// The product of the shape.
    public let elementCount: Int
    /// `elementCount` × the dtype's byte width.
    public let byteCount: Int

    /// The tensor, or nil when a dimension is negative or the element or byte count overflows `Int`.
    public init?(name: String, dtype: TensorDType, shape: [Int]) {
        var elements = 1
        for dimension in shape {
            guard dimension >= 0 else { return nil }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
            guard !overflow else { return nil }
            elements = product
        }
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: dtype.byteWidth)
        guard !overflow else { return nil }
        (self.name, self.dtype, self.shape, elementCount, byteCount) = (name, dtype, shape, elements, bytes)
    }
}
