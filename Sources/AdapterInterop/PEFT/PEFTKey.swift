/// The tensor names of a PEFT LoRA/DoRA state dict (spec/interop.md §PEFT) and how each maps to
/// an adapter layer. Every key must be understood: an unknown key is refused, never skipped.
enum PEFTKey {
    /// PEFT wraps the model twice (`PeftModel` → `LoraModel`), hence this prefix on every key.
    static let prefix = "base_model.model."

    /// What a key holds.
    enum Role: Equatable {
        case a, b, magnitude
    }

    /// The suffixes adaptool understands, with their roles. PEFT ≥ 0.12 saves the magnitude
    /// without `.weight`; older releases (and the in-memory module) add it, so both are read.
    static let suffixes: [(suffix: String, role: Role)] = [
        (".lora_A.weight", .a), (".lora_B.weight", .b),
        (".lora_magnitude_vector", .magnitude), (".lora_magnitude_vector.weight", .magnitude),
    ]

    /// Known PEFT keys adaptool cannot represent, and why.
    static let refusals: [(marker: String, what: String, reason: String)] = [
        ("lora_embedding_A", "an embedding adapter", "adaptool adapts linear layers only"),
        ("lora_embedding_B", "an embedding adapter", "adaptool adapts linear layers only"),
        (".lora_B.bias", "a LoRA bias (lora_bias)", "the v1 adapter format has no place for a bias on lora_B"),
        (".modules_to_save.", "a fully trained module copy (modules_to_save)", "it is not a low-rank update"),
    ]

    /// Splits `key` into its module and role, or throws naming the key.
    static func parse(_ key: String, path: String) throws(InteropError) -> (module: String, role: Role) {
        for refusal in refusals where key.contains(refusal.marker) {
            throw .unrepresentable(path: path, what: "tensor \"\(key)\" (\(refusal.what))", reason: refusal.reason)
        }
        guard key.hasPrefix(prefix) else {
            throw .unrepresentable(path: path, what: "tensor \"\(key)\"", reason: "PEFT adapter keys start with \"\(prefix)\" and end in .lora_A.weight, .lora_B.weight or .lora_magnitude_vector")
        }
        let rest = key.dropFirst(prefix.count)
        for (suffix, role) in suffixes where rest.hasSuffix(suffix) && rest.count > suffix.count {
            return (String(rest.dropLast(suffix.count)), role)
        }
        throw .unrepresentable(path: path, what: "tensor \"\(key)\"", reason: "not a lora_A, lora_B or lora_magnitude_vector of a linear layer")
    }
}
