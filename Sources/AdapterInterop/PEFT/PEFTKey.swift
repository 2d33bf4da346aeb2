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
        try parse(key, path: path, suffixes: suffixes)
    }

    /// Splits `key` into its module and the role of the first of `suffixes` it ends with (the
    /// method registry's PEFT suffixes, for adapters on any model), or throws naming the key.
    static func parse<R>(_ key: String, path: String, suffixes: [(suffix: String, role: R)]) throws(InteropError) -> (module: String, role: R) {
        for refusal in refusals where key.contains(refusal.marker) {
            throw .unrepresentable(path: path, what: "tensor \"\(key)\" (\(refusal.what))", reason: refusal.reason)
        }
        guard key.hasPrefix(prefix) else {
            throw .unrepresentable(path: path, what: "tensor \"\(key)\"", reason: "PEFT adapter keys start with \"\(prefix)\" and end in \(suffixList(suffixes))")
        }
        let rest = key.dropFirst(prefix.count)
        for (suffix, role) in suffixes where rest.hasSuffix(suffix) && rest.count > suffix.count {
            return (String(rest.dropLast(suffix.count)), role)
        }
        throw .unrepresentable(path: path, what: "tensor \"\(key)\"", reason: "not a \(suffixList(suffixes)) of a linear layer")
    }

    /// `a, b or c` of the suffixes' last components (`lora_A`, `lora_B`, `lora_magnitude_vector`).
    private static func suffixList<R>(_ suffixes: [(suffix: String, role: R)]) -> String {
        var names: [String] = []
        for (suffix, _) in suffixes {
            let name = suffix.split(separator: ".").first.map(String.init) ?? suffix
            if !names.contains(name) { names.append(name) }
        }
        return names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + (names.last ?? "")
    }
}
