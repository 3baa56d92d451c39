/// The `strict` client profile: tool schemas rewritten for clients that accept only a subset of JSON
/// Schema. Every `$ref` is inlined (recursive types are cut at a bounded depth, with a description
/// that says so), no `$defs` remain, every object states `additionalProperties`, and formats and the
/// keywords such clients refuse are removed.
///
/// The rewrite keeps every property name and nesting, and only ever widens what a schema accepts
/// (`oneOf` becomes `anyOf`, dropped keywords stop constraining), so what the client sends still maps
/// onto the tool's arguments one to one, and mcpkeeper validates it against the original schema.
public enum StrictProfile {
    /// How many `$ref`s one path through a schema inlines before a recursive type is cut off.
    public static let maxInlineDepth = 8

    /// The keywords kept; everything else (format, $defs, not, if/then/else, patternProperties,
    /// prefixItems, dependent*, unevaluated*, content*, vendor extensions…) is removed.
    static let kept: Set<String> = [
        "type", "properties", "required", "items", "enum", "const", "description", "title", "default", "anyOf", "allOf",
        "additionalProperties", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minLength", "maxLength", "pattern", "minItems", "maxItems", "uniqueItems",
    ]
    /// Keywords beside a `$ref` that only annotate, so the reference can be inlined in place.
    static let annotations: Set<String> = ["description", "title", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly"]

    public static func rewrite(tools: [JSONValue]) -> [JSONValue] { tools.map(rewrite(tool:)) }

    /// One Tool with its `inputSchema` and `outputSchema` repaired (`safe`) and then rewritten.
    public static func rewrite(tool: JSONValue) -> JSONValue {
        guard case .object(var object) = SchemaRepair.repair(tool: tool).tool else { return tool }
        for member in ["inputSchema", "outputSchema"] {
            if let schema = object[member] { object[member] = rewrite(schema) }
        }
        return .object(object)
    }

    /// One schema, rewritten (without the `safe` repair that ``rewrite(tool:)`` applies first).
    public static func rewrite(_ schema: JSONValue) -> JSONValue {
        Inliner(document: SchemaDocument(schema)).convert(schema, stack: [])
    }
}

private struct Inliner {
    let document: SchemaDocument

    /// `stack` holds the pointers of the definitions being inlined on this path.
    func convert(_ schema: JSONValue, stack: [String]) -> JSONValue {
        switch schema {
        case .bool(true): return .object([:])
        case .object(let keywords): return convert(keywords, stack: stack)
        default: return schema
        }
    }

    private func convert(_ original: JSONObject, stack: [String]) -> JSONValue {
        var keywords = original
        if case .string(let ref)? = original["$ref"] {
            keywords["$ref"] = nil
            let inlined = inline(ref, stack: stack)
            let constraining = keywords.keys.filter { !StrictProfile.annotations.contains($0) && StrictProfile.kept.contains($0) }
            // draft-07 and earlier ignore everything beside a $ref; later drafts apply both.
            if constraining.isEmpty || document.draft == .draft04 || document.draft == .draft06 || document.draft == .draft07 {
                guard case .object(var merged) = inlined else { return inlined }
                for key in ["title", "description", "default"] { if let value = original[key] { merged[key] = value } }
                return .object(merged)
            }
            keywords["allOf"] = .array((keywords["allOf"]?.arrayValue ?? []) + [inlined])
        }
        var result = JSONObject()
        for (key, value) in keywords where StrictProfile.kept.contains(key) {
            switch key {
            case "properties":
                guard case .object(let properties) = value else { continue }
                result[key] = .object(JSONObject(properties.members.map { ($0.key, convert($0.value, stack: stack)) }))
            case "anyOf", "allOf":
                result[key] = .array((value.arrayValue ?? []).map { convert($0, stack: stack) })
            case "items", "additionalProperties":
                result[key] = convert(value, stack: stack)
            default:
                result[key] = value
            }
        }
        if case .array(let branches)? = keywords["oneOf"] {
            // oneOf's "exactly one" becomes anyOf's "at least one": wider, and validation still applies oneOf.
            let converted = JSONValue.array(branches.map { convert($0, stack: stack) })
            if result["anyOf"] == nil {
                result["anyOf"] = converted
            } else {
                result["allOf"] = .array((result["allOf"]?.arrayValue ?? []) + [["anyOf": converted]])
            }
        }
        // Without prefixItems (or draft-07's positional items) a kept `items` would apply to every item: narrower.
        if keywords["prefixItems"] != nil || keywords["items"]?.arrayValue != nil { result["items"] = nil }
        if keywords["patternProperties"] != nil { result["additionalProperties"] = true }
        if Self.describesObjects(keywords), result["additionalProperties"] == nil { result["additionalProperties"] = true }
        return .object(result)
    }

    private func inline(_ ref: String, stack: [String]) -> JSONValue {
        guard let target = document.resolve(ref) else {
            return Self.fallback(type: nil, "The schema's reference \(SchemaWording.quote(ref)) leads nowhere, so any value is accepted here.")
        }
        guard !stack.contains(target.pointer), stack.count < StrictProfile.maxInlineDepth else {
            let name = JSONPointer.tokens(target.pointer)?.last ?? "definition"
            return Self.fallback(type: target.schema["type"],
                                 "A recursive \(SchemaWording.quote(name)), cut off here: any value of this type is accepted by this schema; mcpkeeper checks it against the tool's full schema.")
        }
        return convert(target.schema, stack: stack + [target.pointer])
    }

    /// What stands in for a type that cannot be inlined: its type, if it names one, and a description.
    private static func fallback(type: JSONValue?, _ description: String) -> JSONValue {
        var schema = JSONObject()
        if let type { schema["type"] = type }
        schema["description"] = .string(description)
        if describesObjects(schema) { schema["additionalProperties"] = true }
        return .object(schema)
    }

    /// Whether a schema is about objects: its type names object, or it lists properties.
    private static func describesObjects(_ keywords: JSONObject) -> Bool {
        switch keywords["type"] {
        case .string("object")?: return true
        case .array(let names)?: return names.contains("object")
        default: return keywords["properties"] != nil
        }
    }
}
