/// The keywords that combine subschemas: allOf, anyOf, oneOf, not and if/then/else.
extension SchemaValidator {
    func checkCombinators(_ instance: JSONValue, _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        if case .array(let all)? = keywords["allOf"] {
            for (index, subschema) in all.enumerated() {
                guard !run.isFull else { return }
                evaluate(instance, subschema, at.schema("allOf", String(index)), run)
            }
        }
        if case .array(let any)? = keywords["anyOf"] {
            let failures = trials(instance, any, at.schema("anyOf"), run, stopAfterPasses: 1)
            if failures.count == any.count {
                run.report(at, "anyOf", "expected a value matching at least one of \(SchemaWording.plural(any.count, "alternative"))\(closest(failures, at))")
            }
        }
        if case .array(let one)? = keywords["oneOf"] {
            let failures = trials(instance, one, at.schema("oneOf"), run, stopAfterPasses: 2)
            let passed = (0..<one.count).filter { failures[$0] == nil && $0 < failures.tried }
            if passed.isEmpty {
                run.report(at, "oneOf", "expected a value matching exactly one of \(SchemaWording.plural(one.count, "alternative")), but it matches none\(closest(failures, at))")
            } else if passed.count > 1 {
                run.report(at, "oneOf", "expected a value matching exactly one of \(SchemaWording.plural(one.count, "alternative")), but it matches alternatives \(passed.map(String.init).joined(separator: " and "))")
            }
        }
        if let not = keywords["not"], run.probe({ evaluate(instance, not, at.schema("not"), run) }).isEmpty {
            run.report(at, "not", "expected a value that does not match the schema under \"not\", got \(SchemaWording.describe(instance))")
        }
        checkConditional(instance, keywords, at, run)
    }

    /// if/then/else: `then` applies when `if` passes, `else` when it fails; either may be absent.
    private func checkConditional(_ instance: JSONValue, _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        guard let condition = keywords["if"] else { return }
        let holds = run.probe { evaluate(instance, condition, at.schema("if"), run) }.isEmpty
        let branch = holds ? "then" : "else"
        if let subschema = keywords[branch] {
            evaluate(instance, subschema, at.schema(branch), run)
        }
    }

    /// The first violation of each alternative tried, by index; alternatives that pass have none.
    struct Trials {
        var firstViolation: [Int: SchemaViolation] = [:]
        var tried = 0
        var count: Int { firstViolation.count }
        subscript(index: Int) -> SchemaViolation? { firstViolation[index] }
    }

    /// Tries alternatives in order, stopping once `stopAfterPasses` of them pass.
    private func trials(_ instance: JSONValue, _ alternatives: [JSONValue], _ at: Location, _ run: Evaluation,
                        stopAfterPasses: Int) -> Trials {
        var result = Trials()
        var passes = 0
        for (index, alternative) in alternatives.enumerated() {
            result.tried += 1
            if let first = run.probe({ evaluate(instance, alternative, at.schema(String(index)), run) }).first {
                result.firstViolation[index] = first
            } else {
                passes += 1
                if passes >= stopAfterPasses { break }
            }
        }
        return result
    }

    /// Why the most promising alternative failed: the one whose first violation lies deepest in the
    /// value, since it got furthest (for `{"parent": {"database_id": 5}}`, the branch that wanted a
    /// string id rather than the one that wanted `page_id`).
    private func closest(_ failures: Trials, _ at: Location) -> String {
        let deepest = failures.firstViolation.sorted { $0.key < $1.key }.max { a, b in
            a.value.instancePointer.count < b.value.instancePointer.count
        }
        guard let (index, violation) = deepest else { return "" }
        let place = violation.instancePointer == at.instance ? "" : "\(violation.instancePointer): "
        return "; alternative \(index) fails with: \(place)\(violation.message)"
    }
}
