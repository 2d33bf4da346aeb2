import AdapterCore

// TEMPORARY stand-in for the lead's AdapterMethods (LoRA, DoRA, registry) so branch `import`
// compiles before main has them; this commit is reverted before `git merge main`.

/// Stub LoRA.
public enum LoRA: LowRankMethod {
    public static let name = "lora"
    public static let isAdditive = true
    public static func factorShapes(out: Int, inputs: Int, rank: Int) -> [(role: String, shape: [Int])] { [("A", [rank, inputs]), ("B", [out, rank])] }
    public static func fold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int, factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {}
    public static func unfold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int, factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {}
    public static let peftKeySuffixes: [(suffix: String, role: String)] = [(".lora_A.weight", "A"), (".lora_B.weight", "B")]
    public static let peftConfigFlag: String? = nil
}

/// Stub DoRA.
public enum DoRA: LowRankMethod {
    public static let name = "dora"
    public static let isAdditive = false
    public static func factorShapes(out: Int, inputs: Int, rank: Int) -> [(role: String, shape: [Int])] { [("A", [rank, inputs]), ("B", [out, rank]), ("magnitude", [out])] }
    public static func fold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int, factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {}
    public static func unfold(_ weight: UnsafeMutableBufferPointer<Double>, out: Int, inputs: Int, factors: LowRankFactors, scaling: Double, target: String) throws(MethodError) {}
    public static let peftKeySuffixes: [(suffix: String, role: String)] = [(".lora_A.weight", "A"), (".lora_B.weight", "B"), (".lora_magnitude_vector", "magnitude"), (".lora_magnitude_vector.weight", "magnitude")]
    public static let peftConfigFlag: String? = "use_dora"
}

/// Stub registry.
public enum LowRankMethods {
    public static let registered: [any LowRankMethod.Type] = [LoRA.self, DoRA.self]
    public static func named(_ name: String) throws(MethodError) -> any LowRankMethod.Type {
        guard let found = registered.first(where: { $0.name == name }) else { throw .unknownMethod(name: name, known: registered.map { $0.name }) }
        return found
    }
    public static func forPEFTConfig(flags: (String) -> Bool) -> any LowRankMethod.Type {
        registered.first { method in method.peftConfigFlag.map(flags) ?? false } ?? LoRA.self
    }
    public static func validate(_ target: LowRankTarget, method: any LowRankMethod.Type, base: TensorInfo) throws(MethodError) {}
}
