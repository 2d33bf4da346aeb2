/// Orders module names the way PyTorch numbers them: by the integers in the name, compared as a
/// sequence (`layers.2` before `layers.10`, `blocks.1.fc.0` before `blocks.1.fc.2`).
enum LayerOrder {
    /// The integers appearing in `name`, in order.
    static func numericKey(_ name: String) -> [Int] {
        var result: [Int] = []
        var current: Int?
        for character in name {
            if let digit = character.wholeNumberValue, character.isASCII {
                current = (current ?? 0).multipliedReportingOverflow(by: 10).partialValue &+ digit
            } else if let value = current {
                result.append(value)
                current = nil
            }
        }
        if let current { result.append(current) }
        return result
    }

    /// `names` sorted by their numeric keys; nil names the first one that cannot be ordered
    /// (no number in it, or the same numbers as another name).
    static func sorted(_ names: [String]) -> (names: [String], unorderable: String?) {
        guard names.count > 1 else { return (names, nil) }
        let keyed = names.map { (name: $0, key: numericKey($0)) }
        if let bare = keyed.first(where: { $0.key.isEmpty }) { return (names, bare.name) }
        let ordered = keyed.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        for (left, right) in zip(ordered, ordered.dropFirst()) where left.key == right.key { return (names, right.name) }
        return (ordered.map(\.name), nil)
    }
}
