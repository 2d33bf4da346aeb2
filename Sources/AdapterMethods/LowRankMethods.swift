import AdapterCore

/// The registry of adapter methods, keyed by the `method` attribute. Adding a method means adding
/// its type to ``registered``; nothing else in adaptool names a method.
public enum LowRankMethods {
    /// Every method adaptool knows, most specific PEFT flag first (plain LoRA, with no flag, last).
    public static let registered: [any LowRankMethod.Type] = [DoRA.self, DoRAByColumn.self, LoRA.self]

    /// The method called `name`.
    public static func named(_ name: String) throws(MethodError) -> any LowRankMethod.Type {
        guard let method = registered.first(where: { $0.name == name }) else {
            throw .unknownMethod(name: name, known: registered.map { $0.name }.sorted())
        }
        return method
    }

    /// The method a PEFT `adapter_config.json` selects: the first whose flag is set, else the one
    /// that needs no flag (LoRA).
    public static func forPEFTConfig(flags isSet: (String) -> Bool) -> any LowRankMethod.Type {
        registered.first { method in method.hasPEFTForm && (method.peftConfigFlag.map(isSet) ?? true) } ?? LoRA.self
    }

    /// Checks that `target` fits `base` under `method`, from metadata alone: the base is a 2-D
    /// floating-point weight, the rank is positive, the scaling finite, and every factor the method
    /// needs is present, floating point and of the right shape (and no other factor is present).
    public static func validate(_ target: LowRankTarget, method: any LowRankMethod.Type, base: TensorInfo) throws(MethodError) {
        guard base.dtype.isFloatingPoint, let (out, inputs) = target.outputsAndInputs(ofBaseShape: base.shape) else {
            throw .baseNotAWeight(tensor: target.tensor, shape: base.shape, dtype: base.dtype)
        }
        guard target.rank > 0 else { throw .badRank(tensor: target.tensor, rank: target.rank) }
        guard target.scaling.isFinite else { throw .badScaling(tensor: target.tensor, scaling: target.scaling) }
        let shapes = method.factorShapes(out: out, inputs: inputs, rank: target.rank)
        for (role, shape) in shapes {
            guard let factor = target.factors[role] else { throw .missingFactor(tensor: target.tensor, role: role) }
            guard factor.dtype.isFloatingPoint else { throw .factorNotFloat(tensor: target.tensor, role: role, dtype: factor.dtype) }
            guard factor.shape == shape else { throw .factorShape(tensor: target.tensor, role: role, expected: shape, found: factor.shape) }
        }
        let known = Set(shapes.map(\.role))
        if let extra = target.factors.keys.sorted().first(where: { !known.contains($0) }) {
            throw .unexpectedFactor(tensor: target.tensor, role: extra, expected: shapes.map(\.role))
        }
    }
}
