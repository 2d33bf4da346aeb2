import AdapterCore
import Foundation

/// The parts of a PEFT `adapter_config.json` (peft_type "LORA") that decide what the adapter
/// computes, validated: settings adaptool cannot represent are refused by name, and fields that
/// only matter for training (dropout, initialisation, task type) are ignored.
public struct PEFTConfig: Sendable, Equatable {
    /// `r`: the default rank (PEFT's default 8 when absent).
    public var r: Int
    /// `lora_alpha` (PEFT's default 8 when absent).
    public var loraAlpha: Double
    /// `use_rslora`: scaling = alpha / √r instead of alpha / r.
    public var useRSLoRA: Bool
    /// `use_dora`: the adapter carries `lora_magnitude_vector`s.
    public var useDoRA: Bool
    /// `fan_in_fan_out`: the base stores weights `[in, out]` (GPT-2 `Conv1D`); the factors do not change.
    public var fanInFanOut: Bool
    /// `rank_pattern`: per-module ranks, keys matched as PEFT does (see ``patternValue(_:for:)``).
    public var rankPattern: [(key: String, value: Int)]
    /// `alpha_pattern`: per-module alphas.
    public var alphaPattern: [(key: String, value: Double)]
    /// `target_modules` as written (a list, or a regular expression string), for provenance.
    public var targetModules: JSONValue
    /// Every boolean field of the config by name (`use_dora`, …): the method registry picks the
    /// method from these flags, so a new method's flag needs no new field here.
    public var flags: [String: Bool] = [:]
    /// `exclude_modules` as written (a list, or a regular expression string), or null.
    public var excludeModules: JSONValue = .null
    /// `base_model_name_or_path`, for provenance.
    public var baseModelName: String?
    /// Each pattern key compiled once, when the config is read: a module is matched against every
    /// key, and translating and compiling a long key per module made import quadratic.
    private var expressions: [String: NSRegularExpression] = [:]

    /// Equality of every field that affects the adapter.
    public static func == (lhs: PEFTConfig, rhs: PEFTConfig) -> Bool {
        lhs.r == rhs.r && lhs.loraAlpha == rhs.loraAlpha && lhs.useRSLoRA == rhs.useRSLoRA && lhs.useDoRA == rhs.useDoRA
            && lhs.fanInFanOut == rhs.fanInFanOut && lhs.rankPattern.elementsEqual(rhs.rankPattern, by: ==)
            && lhs.alphaPattern.elementsEqual(rhs.alphaPattern, by: ==) && lhs.targetModules == rhs.targetModules
    }

    /// Parses `adapter_config.json` text; `path` is used in errors.
    public init(json bytes: [UInt8], path: String) throws(InteropError) {
        let document: JSONValue
        do { document = try JSONValue.parse(bytes) } catch {
            throw .badConfig(path: path, field: "adapter_config.json", problem: "is not valid JSON (\(error))")
        }
        guard case .object(let members) = document else { throw .badConfig(path: path, field: "adapter_config.json", problem: "is not a JSON object") }
        for case (let key, .bool(let value)) in members { flags[key] = value }
        func bad(_ field: String, _ problem: String) -> InteropError { .badConfig(path: path, field: field, problem: problem) }
        func flag(_ field: String) throws(InteropError) -> Bool {
            switch document[field] ?? .null {
            case .null: return false
            case .bool(let value): return value
            case let other: throw bad(field, "is \(other.typeName); expected true or false")
            }
        }
        guard case .string(let peftType) = document["peft_type"] ?? .null else { throw bad("peft_type", "is missing; expected \"LORA\"") }
        guard peftType == "LORA" else {
            throw .unrepresentable(path: path, what: "peft_type \"\(peftType)\"", reason: "adaptool imports LoRA and DoRA adapters (peft_type \"LORA\") only")
        }
        r = try Self.positiveInteger(document["r"] ?? .number(8), field: "r", path: path)
        guard case .number(let alpha) = document["lora_alpha"] ?? .number(8), alpha.isFinite else { throw bad("lora_alpha", "must be a finite number") }
        loraAlpha = alpha
        useRSLoRA = try flag("use_rslora")
        useDoRA = try flag("use_dora")
        fanInFanOut = try flag("fan_in_fan_out")
        rankPattern = []
        alphaPattern = []
        targetModules = document["target_modules"] ?? .null
        excludeModules = document["exclude_modules"] ?? .null
        if case .string(let name) = document["base_model_name_or_path"] ?? .null { baseModelName = name }
        for (key, value) in try Self.pattern(document["rank_pattern"], field: "rank_pattern", path: path) {
            expressions[key] = try Self.compiled(key, field: "rank_pattern", path: path)
            rankPattern.append((key, try Self.positiveInteger(value, field: "rank_pattern[\"\(key)\"]", path: path)))
        }
        for (key, value) in try Self.pattern(document["alpha_pattern"], field: "alpha_pattern", path: path) {
            expressions[key] = try Self.compiled(key, field: "alpha_pattern", path: path)
            guard case .number(let number) = value, number.isFinite else { throw bad("alpha_pattern[\"\(key)\"]", "must be a finite number") }
            alphaPattern.append((key, number))
        }
        try Self.refuseUnrepresentable(document, path: path)
    }

    /// Settings whose effect adaptool's format cannot hold; each is refused by name.
    private static func refuseUnrepresentable(_ document: JSONValue, path: String) throws(InteropError) {
        func isSet(_ value: JSONValue?) -> Bool {
            switch value ?? .null {
            case .null, .bool(false): return false
            case .array(let items): return !items.isEmpty
            case .object(let members): return !members.isEmpty
            case .string(let text): return !text.isEmpty
            default: return true
            }
        }
        let refusals: [(field: String, reason: String)] = [
            ("modules_to_save", "it stores fully trained copies of whole modules, not low-rank factors"),
            ("lora_bias", "it trains a bias on lora_B, which the v1 adapter format has no place for"),
            ("layer_replication", "it duplicates base layers, which changes the architecture"),
            ("target_parameters", "it adapts raw parameters rather than linear layers"),
            ("trainable_token_indices", "it trains embedding rows, not linear layers"),
            ("megatron_config", "Megatron-parallel layers are not plain linear layers"),
        ]
        for refusal in refusals where isSet(document[refusal.field]) {
            throw .unrepresentable(path: path, what: "\"\(refusal.field)\": \(document[refusal.field]?.serialized ?? "")", reason: refusal.reason)
        }
        if case .string(let bias)? = document["bias"], bias != "none" {
            throw .unrepresentable(path: path, what: "\"bias\": \"\(bias)\"", reason: "it trains the base layers' biases, which an adapter file cannot carry; expected \"none\"")
        }
        if case .bool(true)? = document["use_qalora"] {
            throw .unrepresentable(path: path, what: "\"use_qalora\": true", reason: "QA-LoRA pools inputs before lora_A, which is not a plain low-rank update")
        }
    }

    /// A rank (`r` or a `rank_pattern` value), held to the rule the adapter reader applies.
    private static func positiveInteger(_ value: JSONValue, field: String, path: String) throws(InteropError) -> Int {
        guard let number = value.exactInteger else { throw .badConfig(path: path, field: field, problem: "is \(value.serialized); expected a positive integer") }
        if let problem = V1Rules.rankProblem(Int64(number)) { throw .badConfig(path: path, field: field, problem: problem) }
        return number
    }

    private static func pattern(_ value: JSONValue?, field: String, path: String) throws(InteropError) -> [(key: String, value: JSONValue)] {
        switch value ?? .null {
        case .null: return []
        case .object(let members): return members
        case let other: throw .badConfig(path: path, field: field, problem: "is \(other.typeName); expected an object mapping module patterns to values")
        }
    }

    /// The pattern value for `module`, matched as PEFT does: a key matches when Python's
    /// `re.match(r"(.*\.)?(KEY)$", module)` does (see ``PythonRegex``); the first matching key wins.
    /// `field` (`rank_pattern` or `alpha_pattern`) names the key in errors. A key Python refuses, or
    /// whose evaluation fails (the matcher's backtracking stack overflows, or it takes more than
    /// ``maxMatchProgressReports`` progress reports: catastrophic backtracking such as `(a+)+$`), is
    /// an error: treating it as "no match" would silently give the module another rank or scaling than PEFT.
    /// `expressions` holds keys already compiled; others are compiled here.
    public static func patternValue<Value>(_ pattern: [(key: String, value: Value)], field: String, for module: String,
                                           path: String, expressions: [String: NSRegularExpression] = [:]) throws(InteropError) -> Value? {
        for (key, value) in pattern {
            let expression: NSRegularExpression
            if let cached = expressions[key] { expression = cached } else { expression = try compiled(key, field: field, path: path) }
            if try matches(expression, module, field: "\(field)[\"\(key)\"]", path: path) { return value }
        }
        return nil
    }

    /// Whether `expression` matches `module` from its start, guarded as PEFT's keys need: a match the
    /// matcher cannot finish (backtracking stack, or more than ``maxMatchProgressReports`` progress
    /// reports) is an error naming `field`, never a silent "no match".
    static func matches(_ expression: NSRegularExpression, _ module: String, field: String, path: String) throws(InteropError) -> Bool {
        var matched = false, failed = false, reports = 0
        expression.enumerateMatches(in: module, options: [.anchored, .reportCompletion, .reportProgress],
                                    range: NSRange(module.startIndex..., in: module)) { result, flags, stop in
            if flags.contains(.internalError) { failed = true }
            if flags.contains(.progress) {
                reports += 1
                if reports > maxMatchProgressReports { failed = true; stop.pointee = true }
            }
            if result != nil { matched = true; stop.pointee = true }
        }
        if failed {
            let shown = module.count > maxModuleNameInErrors ? module.prefix(maxModuleNameInErrors) + "…" : Substring(module)
            throw .badConfig(path: path, field: field,
                             problem: "is a regular expression that could not be evaluated against module \"\(shown)\" (the matcher ran out of backtracking stack or exceeded its step budget, as with catastrophic backtracking); simplify the key")
        }
        return matched
    }

    /// ICU reports progress about every 10,000 matching steps; a key matched against one module name
    /// needs far fewer, so 100 reports (about a million steps, some milliseconds) means the key
    /// backtracks exponentially and would run for ever (PEFT itself would hang on it).
    private static let maxMatchProgressReports = 100

    /// Module names are shortened to this many characters in errors, so the line stays readable.
    private static let maxModuleNameInErrors = 80

    /// `key` compiled as PEFT embeds it, `(.*\.)?(KEY)$`, read with Python's `re` syntax; a key
    /// Python refuses, or one adaptool cannot translate exactly, is an error naming it.
    private static func compiled(_ key: String, field: String, path: String) throws(InteropError) -> NSRegularExpression {
        try compiled(python: "(.*\\.)?(\(key))$", shown: "(.*\\.)?(KEY)$", field: "\(field)[\"\(key)\"]", path: path)
    }

    /// The Python `re` expression `python` as an ICU expression matching the same strings; a
    /// refusal names `field` and quotes the expression as `shown`.
    static func compiled(python: String, shown: String, field: String, path: String) throws(InteropError) -> NSRegularExpression {
        let translated: String
        do { translated = try PythonRegex.icuPattern(python: python) } catch {
            let problem = error.pythonRefuses ? "is not a regular expression PEFT can use: Python's re refuses \(shown) with \"\(error.reason)\""
                                              : "uses \(error.reason)"
            throw .badConfig(path: path, field: field, problem: problem)
        }
        guard let expression = try? NSRegularExpression(pattern: translated) else {
            throw .badConfig(path: path, field: field, problem: "is a regular expression adaptool's matcher cannot compile")
        }
        return expression
    }

    /// The rank PEFT gives `module`.
    public func rank(for module: String, path: String) throws(InteropError) -> Int {
        try Self.patternValue(rankPattern, field: "rank_pattern", for: module, path: path, expressions: expressions) ?? r
    }

    /// The scaling PEFT applies to `module`: alpha / r, or alpha / √r with rsLoRA, per-module
    /// values from the patterns.
    public func scaling(for module: String, path: String) throws(InteropError) -> Double {
        let rank = Double(try rank(for: module, path: path))
        let alpha = try Self.patternValue(alphaPattern, field: "alpha_pattern", for: module, path: path, expressions: expressions) ?? loraAlpha
        return alpha / (useRSLoRA ? rank.squareRoot() : rank)
    }
}
