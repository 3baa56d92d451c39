/// The array keywords: prefixItems/items (2020-12) or items/additionalItems (draft-07), contains
/// with min/maxContains, min/maxItems and uniqueItems.
extension SchemaValidator {
    func checkArray(_ array: [JSONValue], _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        if let minimum = SchemaValidator.count(keywords["minItems"]), array.count < minimum {
            run.report(at, "minItems", "expected at least \(SchemaWording.plural(minimum, "item")), got \(array.count)")
        }
        if let maximum = SchemaValidator.count(keywords["maxItems"]), array.count > maximum {
            run.report(at, "maxItems", "expected at most \(SchemaWording.plural(maximum, "item")), got \(array.count)")
        }
        checkItems(array, keywords, at, run)
        checkContains(array, keywords, at, run)
        if keywords["uniqueItems"] == .bool(true) {
            var buckets: [Int: [Int]] = [:]
            for (index, item) in array.enumerated() {
                let key = SchemaValidator.fingerprint(item)
                if let earlier = buckets[key]?.first(where: { SchemaValidator.equal(array[$0], item) }) {
                    run.report(at, "uniqueItems", "items \(earlier) and \(index) are equal, but every item must be unique")
                    break
                }
                buckets[key, default: []].append(index)
            }
        }
    }

    /// Items by position (the tuple part), then every later item against the schema for the rest.
    private func checkItems(_ array: [JSONValue], _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        var tuple: [JSONValue] = []
        var tupleKeyword = "prefixItems"
        var rest = keywords["items"]
        var restKeyword = "items"
        switch schema.dialect {
        case .draft2020_12:
            tuple = keywords["prefixItems"]?.arrayValue ?? []
        case .draft07:
            if case .array(let positional)? = rest {
                tuple = positional
                tupleKeyword = "items"
                rest = keywords["additionalItems"]
                restKeyword = "additionalItems"
            }
        }
        for (index, item) in array.prefix(tuple.count).enumerated() {
            guard !run.isFull else { return }
            evaluate(item, tuple[index], at.member(String(index), schema: tupleKeyword, String(index)), run)
        }
        guard let rest, array.count > tuple.count else { return }
        if rest == .bool(false) {
            run.report(at, restKeyword, "expected at most \(SchemaWording.plural(tuple.count, "item")), got \(array.count)")
            return
        }
        for index in tuple.count..<array.count {
            guard !run.isFull else { return }
            evaluate(array[index], rest, at.member(String(index), schema: restKeyword), run)
        }
    }

    /// `contains` needs at least one matching item, or between `minContains` and `maxContains` (2020-12).
    private func checkContains(_ array: [JSONValue], _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        guard let contains = keywords["contains"] else { return }
        var minimum = 1
        var maximum: Int?
        if schema.dialect == .draft2020_12 {
            minimum = SchemaValidator.count(keywords["minContains"]) ?? 1
            maximum = SchemaValidator.count(keywords["maxContains"])
        }
        var matches = 0
        for (index, item) in array.enumerated() {
            let found = run.probe { evaluate(item, contains, at.member(String(index), schema: "contains"), run) }
            if found.isEmpty { matches += 1 }
            // Without a maximum, counting past the minimum changes nothing.
            if maximum == nil, matches >= minimum { break }
        }
        if matches < minimum {
            let keyword = keywords["minContains"] != nil && schema.dialect == .draft2020_12 ? "minContains" : "contains"
            run.report(at, keyword, "expected at least \(SchemaWording.plural(minimum, "item")) matching the \"contains\" schema, got \(matches)")
        }
        if let maximum, matches > maximum {
            run.report(at, "maxContains", "expected at most \(SchemaWording.plural(maximum, "item")) matching the \"contains\" schema, got \(matches)")
        }
    }

    /// A hash that agrees with ``equal(_:_:)``, to find equal items without comparing every pair.
    /// (JSONValue's own hash merges canonically equivalent strings and does arithmetic on exponents.)
    static func fingerprint(_ value: JSONValue) -> Int {
        var hasher = Hasher()
        switch value {
        case .null: hasher.combine(0)
        case .bool(let b): hasher.combine(b)
        case .number(let n):
            if let d = decimal(n) { hasher.combine(d) } else { hasher.combine(n.doubleValue) }
        case .string(let s): hasher.combine(Array(s.utf8))
        case .array(let items): items.forEach { hasher.combine(fingerprint($0)) }
        case .object(let object):
            // Member order does not matter, so the members' hashes are combined order-free.
            hasher.combine(object.reduce(0) { $0 ^ (fingerprint(.string($1.key)) &* 31 &+ fingerprint($1.value)) })
        }
        return hasher.finalize()
    }
}
