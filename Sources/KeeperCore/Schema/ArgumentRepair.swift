/// Un-stringifies double-encoded tool-call arguments, as a pure function: where the tool's schema
/// (after `$ref` resolution) expects an object or an array and not a string, a string that parses
/// as JSON of exactly that type is replaced by the parsed value, at any depth the schema describes.
///
/// Some clients send `"parent": "{\"page_id\": \"…\"}"` where the schema says object; Notion then
/// answers `validation_error`. Anything else is left for validation to judge.
public enum ArgumentRepair {
    /// The repaired arguments and the pointers of the values replaced (never the values: they may
    /// hold anything the user typed).
    public static func repair(_ arguments: JSONValue, schema: JSONValue) -> (arguments: JSONValue, pointers: [String]) {
        var walk = Walk(document: SchemaDocument(schema))
        let repaired = walk.repair(arguments, [schema], at: "", depth: 0)
        return (repaired, walk.pointers)
    }
}

private struct Walk {
    let document: SchemaDocument
    var pointers: [String] = []
    /// How deep into the value the walk goes; a schema may be recursive, a value is finite but may be huge.
    static let maxDepth = 32
    /// How many `$ref`s one expansion follows, so a schema that refers to itself cannot loop.
    static let maxRefs = 16

    /// Repairs `value`, which each schema in `schemas` applies to.
    mutating func repair(_ value: JSONValue, _ schemas: [JSONValue], at pointer: String, depth: Int) -> JSONValue {
        guard depth < Self.maxDepth else { return value }
        let applicable = schemas.flatMap { expand($0, refs: 0) }
        var value = value
        if case .string(let text) = value, let parsed = decoded(text, expected: expectedTypes(applicable)) {
            value = parsed
            pointers.append(pointer)
        }
        switch value {
        case .object(let object):
            var result = object
            for (name, member) in object {
                let memberSchemas = applicable.flatMap { Self.schemas(forMember: name, in: $0) }
                guard !memberSchemas.isEmpty else { continue }
                result[name] = repair(member, memberSchemas, at: JSONPointer.appending(pointer, name), depth: depth + 1)
            }
            return .object(result)
        case .array(let items):
            return .array(items.enumerated().map { index, item in
                let itemSchemas = applicable.flatMap { Self.schemas(forItem: index, in: $0) }
                guard !itemSchemas.isEmpty else { return item }
                return repair(item, itemSchemas, at: JSONPointer.appending(pointer, String(index)), depth: depth + 1)
            })
        default:
            return value
        }
    }

    /// A schema and everything that applies to the same value through `$ref` and the combinators.
    func expand(_ schema: JSONValue, refs: Int) -> [JSONObject] {
        guard case .object(let keywords) = schema else { return [] }
        var result = [keywords]
        if case .string(let ref)? = keywords["$ref"], refs < Self.maxRefs, let target = document.resolve(ref) {
            result += expand(target.schema, refs: refs + 1)
        }
        for keyword in ["allOf", "anyOf", "oneOf"] {
            for branch in keywords[keyword]?.arrayValue ?? [] { result += expand(branch, refs: refs + 1) }
        }
        return result
    }

    /// The types the schemas name between them; empty when none names one (then nothing is decoded).
    func expectedTypes(_ schemas: [JSONObject]) -> Set<String> {
        var types: Set<String> = []
        for keywords in schemas {
            switch keywords["type"] {
            case .string(let name)?: types.insert(name)
            case .array(let names)?: types.formUnion(names.compactMap(\.stringValue))
            default: break
            }
        }
        return types
    }

    /// The parsed value, when the schemas expect an object or array, never a string, and the text
    /// is JSON of exactly that type.
    func decoded(_ text: String, expected: Set<String>) -> JSONValue? {
        guard !expected.contains("string"), expected.contains("object") || expected.contains("array"),
              let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[",
              let parsed = try? JSONParser.parse(text) else { return nil }
        switch parsed {
        case .object where expected.contains("object"), .array where expected.contains("array"): return parsed
        default: return nil
        }
    }

    /// The subschemas that describe member `name` of an object.
    static func schemas(forMember name: String, in keywords: JSONObject) -> [JSONValue] {
        if let property = keywords["properties"]?[name] { return [property] }
        if case .object(let patterns)? = keywords["patternProperties"] {
            let matching = patterns.filter { (try? ECMARegex.cached($0.key))?.matches(name) ?? false }.map(\.value)
            if !matching.isEmpty { return matching }
        }
        if let additional = keywords["additionalProperties"], case .object = additional { return [additional] }
        return []
    }

    /// The subschemas that describe item `index` of an array (2020-12 and draft-07 forms).
    static func schemas(forItem index: Int, in keywords: JSONObject) -> [JSONValue] {
        if case .array(let prefix)? = keywords["prefixItems"] {
            if index < prefix.count { return [prefix[index]] }
            return keywords["items"].map { [$0] } ?? []
        }
        if case .array(let positional)? = keywords["items"] {
            if index < positional.count { return [positional[index]] }
            return keywords["additionalItems"].map { [$0] } ?? []
        }
        return keywords["items"].map { [$0] } ?? []
    }
}
