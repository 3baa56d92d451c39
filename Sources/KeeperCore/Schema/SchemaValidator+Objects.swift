/// The object keywords: properties, patternProperties, additionalProperties, required,
/// propertyNames, min/maxProperties and the dependency keywords of each dialect.
extension SchemaValidator {
    func checkObject(_ object: JSONObject, _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        if case .array(let required)? = keywords["required"] {
            for case .string(let name) in required where object[name] == nil {
                run.report(at, "required", "missing required property \(SchemaWording.quote(name))")
            }
        }
        checkMembers(object, keywords, at, run)
        if let minimum = SchemaValidator.count(keywords["minProperties"]), object.count < minimum {
            run.report(at, "minProperties", "expected at least \(SchemaWording.plural(minimum, "property", "properties")), got \(object.count)")
        }
        if let maximum = SchemaValidator.count(keywords["maxProperties"]), object.count > maximum {
            run.report(at, "maxProperties", "expected at most \(SchemaWording.plural(maximum, "property", "properties")), got \(object.count)")
        }
        checkDependencies(object, keywords, at, run)
        if let names = keywords["propertyNames"] {
            for name in object.keys {
                guard !run.isFull else { return }
                let found = run.probe { evaluate(.string(name), names, at.schema("propertyNames"), run) }
                if let first = found.first {
                    run.report(at, "propertyNames", "property name \(SchemaWording.quote(name)) is not allowed: \(first.message)")
                }
            }
        }
    }

    /// Each member against the subschemas that apply to it: its `properties` entry, every matching
    /// `patternProperties` entry, and `additionalProperties` when neither does.
    private func checkMembers(_ object: JSONObject, _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        let properties = keywords["properties"]?.objectValue
        let patternProperties = keywords["patternProperties"]?.objectValue
        let additional = keywords["additionalProperties"]
        guard properties != nil || patternProperties != nil || additional != nil else { return }
        for (name, value) in object {
            guard !run.isFull else { return }
            var matched = false
            if let subschema = properties?[name] {
                matched = true
                evaluate(value, subschema, at.member(name, schema: "properties", name), run)
            }
            for (pattern, subschema) in patternProperties ?? JSONObject() where schema.patterns[pattern]?.matches(name) == true {
                matched = true
                evaluate(value, subschema, at.member(name, schema: "patternProperties", pattern), run)
            }
            guard !matched, let additional else { continue }
            if additional == .bool(false) {
                run.report(at, "additionalProperties", "property \(SchemaWording.quote(name)) is not allowed\(allowedHint(properties, patternProperties))")
            } else {
                evaluate(value, additional, at.member(name, schema: "additionalProperties"), run)
            }
        }
    }

    /// Names the properties a closed object does accept, so a misspelt name is easy to fix.
    private func allowedHint(_ properties: JSONObject?, _ patternProperties: JSONObject?) -> String {
        guard let names = properties?.keys, !names.isEmpty, names.count <= 20, patternProperties == nil else { return "" }
        return "; allowed: \(names.map(SchemaWording.quote).joined(separator: ", "))"
    }

    /// dependentRequired and dependentSchemas (2020-12), or dependencies, which is either (draft-07).
    private func checkDependencies(_ object: JSONObject, _ keywords: JSONObject, _ at: Location, _ run: Evaluation) {
        let names = schema.dialect == .draft07 ? ["dependencies"] : ["dependentRequired", "dependentSchemas"]
        for keyword in names {
            guard case .object(let dependencies)? = keywords[keyword] else { continue }
            for (trigger, dependency) in dependencies where object[trigger] != nil {
                if case .array(let required) = dependency {
                    for case .string(let name) in required where object[name] == nil {
                        run.report(at, keyword, "property \(SchemaWording.quote(name)) is required when \(SchemaWording.quote(trigger)) is present")
                    }
                } else {
                    evaluate(.object(object), dependency, at.schema(keyword, trigger), run)
                }
            }
        }
    }
}
