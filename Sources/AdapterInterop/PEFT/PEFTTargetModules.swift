import Foundation

/// `target_modules` and `exclude_modules` of an `adapter_config.json`, compiled once and matched as
/// PEFT's `check_target_module_exists` matches them: a string is a regular expression that must
/// match the whole module name (`re.fullmatch`), a list names modules exactly or by their last
/// components (`name == key` or `name.endswith("." + key)`), and `"all-linear"` takes every linear
/// layer except the model's output layer. An adapter whose tensors name a module the config does
/// not target is refused: PEFT would never have produced it, so one of the two files is wrong.
struct PEFTTargetModules {
    /// How one of the two fields selects modules.
    private enum Selector {
        case everything
        case allLinear
        case expression(NSRegularExpression, text: String)
        case names([String])
        case nothing
    }

    /// The output layer `"all-linear"` leaves out (PEFT excludes `get_output_embeddings()`, which is
    /// `lm_head` in every transformers causal-LM).
    static let outputLayerName = "lm_head"

    private let targets: Selector
    private let excluded: Selector
    private let path: String

    /// Compiles the two fields of `config`; `path` (the config file) is named in errors.
    init(_ config: PEFTConfig, path: String) throws(InteropError) {
        self.path = path
        targets = try Self.selector(config.targetModules, field: "target_modules", empty: .everything, path: path)
        excluded = try Self.selector(config.excludeModules, field: "exclude_modules", empty: .nothing, path: path)
    }

    private static func selector(_ value: JSONValue, field: String, empty: Selector, path: String) throws(InteropError) -> Selector {
        switch value {
        case .null: return empty
        case .string("all-linear") where field == "target_modules": return .allLinear
        case .string(let text):
            let expression = try PEFTConfig.compiled(python: "(?:\(text))\\Z", shown: "the expression", field: field, path: path)
            return .expression(expression, text: text)
        case .array(let items):
            var names: [String] = []
            for item in items {
                guard case .string(let name) = item else { throw .badConfig(path: path, field: field, problem: "holds \(item.typeName); expected module names (strings)") }
                names.append(name)
            }
            return names.isEmpty ? empty : .names(names)
        case let other:
            throw .badConfig(path: path, field: field, problem: "is \(other.typeName); expected a list of module names or a regular expression")
        }
    }

    /// Why PEFT would not have adapted `module` under this config, or nil when it would have.
    func refusal(for module: String) throws(InteropError) -> String? {
        if try matches(excluded, module, field: "exclude_modules") { return "it matches exclude_modules" }
        if try matches(targets, module, field: "target_modules") { return nil }
        if case .allLinear = targets { return "target_modules \"all-linear\" leaves out the output layer \(Self.outputLayerName)" }
        return "target_modules does not select it"
    }

    private func matches(_ selector: Selector, _ module: String, field: String) throws(InteropError) -> Bool {
        switch selector {
        case .everything: return true
        case .nothing: return false
        case .allLinear: return module != Self.outputLayerName && !module.hasSuffix("." + Self.outputLayerName)
        case .names(let names): return names.contains { module == $0 || module.hasSuffix("." + $0) }
        case .expression(let expression, let text): return try PEFTConfig.matches(expression, module, field: "\(field) \"\(text)\"", path: path)
        }
    }
}
