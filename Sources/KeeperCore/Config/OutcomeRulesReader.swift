/// Reads an upstream's `outcome_rules`: each `{"name", "pointer"?, "pattern"?, "outcome"}`, with a
/// problem at the rule's JSON path for a bad pointer, a pattern that does not compile or an unknown class.
enum OutcomeRulesReader {
    static func read(_ upstream: ConfigReader, problems: inout [ConfigProblem]) -> [NotionOutcomeRule] {
        guard let value = upstream.object["outcome_rules"] else { return [] }
        let path = upstream.at("outcome_rules")
        guard let items = value.arrayValue else {
            problems.append(ConfigProblem(.error, path, "expected an array of rules such as [{\"pattern\": \"Too many requests\", \"outcome\": \"rate_limited\"}]"))
            return []
        }
        let outcomes = NotionOutcome.allCases.filter { $0 != .success }.map(\.rawValue)
        var rules: [NotionOutcomeRule] = []
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            guard let object = item.objectValue else {
                problems.append(ConfigProblem(.error, itemPath, "expected an object with \"outcome\" and a \"pointer\" and/or a \"pattern\""))
                continue
            }
            let rule = ConfigReader(object, path: itemPath)
            let before = problems.count
            rule.rejectUnknownKeys(allowed: ["name", "pointer", "pattern", "outcome"], problems: &problems)
            let name = rule.string("name", problems: &problems) ?? "rule\(index + 1)"
            let pointer = rule.string("pointer", problems: &problems)
            let pattern = rule.string("pattern", problems: &problems)
            let outcome = rule.choice("outcome", outcomes, problems: &problems).flatMap(NotionOutcome.init)
            if object["outcome"] == nil {
                problems.append(ConfigProblem(.error, rule.at("outcome"), "missing; expected one of \(outcomes.joined(separator: ", "))"))
            }
            if pointer == nil, pattern == nil, object["pointer"] == nil, object["pattern"] == nil {
                problems.append(ConfigProblem(.error, itemPath, "expected \"pointer\" (where to look), \"pattern\" (what to look for), or both"))
            }
            if let pointer, let problem = NotionOutcomeRule.pointerProblem(pointer) {
                problems.append(ConfigProblem(.error, rule.at("pointer"), problem))
            }
            if let pattern, let problem = NotionOutcomeRule.patternProblem(pattern) {
                problems.append(ConfigProblem(.error, rule.at("pattern"), problem))
            }
            guard problems.count == before, let outcome else { continue }
            rules.append(NotionOutcomeRule(name: name, pointer: pointer, pattern: pattern, outcome: outcome))
        }
        return rules
    }
}
