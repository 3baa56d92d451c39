/// Every problem `mcpkeeper lint` reports in a tool list: what `safe` repair fixes (invalid keyword
/// values, unused definitions, a root without `"type": "object"`) and what it must leave because
/// fixing it would change what the schema accepts (unresolvable `$ref`s in reachable places,
/// contradictory bounds, `required` names `properties` does not describe, items typed as strings
/// where the description says objects).
public enum SchemaLint {
    public static func lint(tools: [JSONValue]) -> [SchemaFinding] {
        tools.flatMap(lint(tool:))
    }

    /// Findings for one Tool object, pointing into it (`/inputSchema/...`).
    public static func lint(tool: JSONValue) -> [SchemaFinding] {
        let name = tool["name"]?.stringValue ?? "?"
        var findings = SchemaRepair.repair(tool: tool).findings
        if tool["inputSchema"] == nil {
            findings.append(SchemaFinding(tool: name, pointer: "/inputSchema", kind: .rootType, message: "the tool has no inputSchema"))
        } else if let type = tool["inputSchema"]?["type"], type != "object" {
            findings.append(SchemaFinding(tool: name, pointer: "/inputSchema/type", kind: .rootType,
                                          message: "a tool's inputSchema must say \"type\": \"object\", got \(type.serialized())"))
        }
        for member in ["inputSchema", "outputSchema"] {
            guard let schema = tool[member] else { continue }
            findings += lintOnly(schema).map { $0.located(tool: name, under: member) }
        }
        return findings.sorted { $0.pointer < $1.pointer }
    }

    /// All findings for a bare schema, pointing into it.
    public static func lint(schema: JSONValue) -> [SchemaFinding] {
        (SchemaRepair.repair(schema).findings + lintOnly(schema)).sorted { $0.pointer < $1.pointer }
    }

    /// The checks repair does not act on.
    static func lintOnly(_ schema: JSONValue) -> [SchemaFinding] {
        let document = SchemaDocument(schema)
        let unused = SchemaRepair.unusedDefinitions(in: schema)
        func insideUnused(_ pointer: String) -> Bool {
            unused.contains { pointer == $0 || pointer.hasPrefix($0 + "/") }
        }
        var findings: [SchemaFinding] = []
        document.forEachSchemaObject { keywords, pointer in
            if case .string(let ref)? = keywords["$ref"], document.resolve(ref) == nil {
                let at = JSONPointer.appending(pointer, "$ref")
                let why = ref.hasPrefix("#") ? "leads to nothing in this schema" : "leads outside this schema"
                findings.append(SchemaFinding(pointer: at, kind: .unresolvableRef, message: "$ref \(SchemaWording.quote(ref)) \(why)",
                                              repair: insideUnused(at) ? "removed with its unused definition" : nil))
            }
            guard !insideUnused(pointer) else { return }
            findings += contradictoryBounds(keywords, at: pointer)
            findings += requiredNotDescribed(keywords, at: pointer)
            findings += stringItemsDescribedAsObjects(keywords, at: pointer)
        }
        return findings
    }

    static let boundPairs: [(low: String, high: String, strict: Bool)] = [
        ("minimum", "maximum", false), ("exclusiveMinimum", "maximum", true), ("minimum", "exclusiveMaximum", true),
        ("exclusiveMinimum", "exclusiveMaximum", true), ("minLength", "maxLength", false), ("minItems", "maxItems", false),
        ("minProperties", "maxProperties", false), ("minContains", "maxContains", false),
    ]

    static func contradictoryBounds(_ keywords: JSONObject, at pointer: String) -> [SchemaFinding] {
        boundPairs.compactMap { pair in
            guard let low = keywords[pair.low]?.numberValue, let high = keywords[pair.high]?.numberValue,
                  let lowValue = low.doubleValue, let highValue = high.doubleValue,
                  pair.strict ? lowValue >= highValue : lowValue > highValue else { return nil }
            return SchemaFinding(pointer: JSONPointer.appending(pointer, pair.low), kind: .contradictoryBounds,
                                 message: "\"\(pair.low)\": \(low.text) and \"\(pair.high)\": \(high.text) leave no value allowed")
        }
    }

    static func requiredNotDescribed(_ keywords: JSONObject, at pointer: String) -> [SchemaFinding] {
        guard case .object(let properties)? = keywords["properties"], case .array(let required)? = keywords["required"],
              keywords["patternProperties"] == nil else { return [] }
        let closed = keywords["additionalProperties"] == false
        return required.enumerated().compactMap { index, name in
            guard let text = name.stringValue, properties[text] == nil else { return nil }
            let consequence = closed ? "and additionalProperties is false, so no value can satisfy it" : "so clients cannot know what to send"
            return SchemaFinding(pointer: JSONPointer.appending(pointer, "required", String(index)), kind: .requiredNotInProperties,
                                 message: "\(SchemaWording.quote(text)) is required but not in \"properties\", \(consequence)")
        }
    }

    /// Items typed `string` under an array whose description calls them objects: the official
    /// Notion server's block `children`. Clients that follow the description are refused.
    static func stringItemsDescribedAsObjects(_ keywords: JSONObject, at pointer: String) -> [SchemaFinding] {
        guard case .object(let items)? = keywords["items"], items["type"] == "string" else { return [] }
        let text = ((keywords["description"]?.stringValue ?? "") + " " + (items["description"]?.stringValue ?? "")).lowercased()
        guard text.contains("object") else { return [] }
        return [SchemaFinding(pointer: JSONPointer.appending(pointer, "items", "type"), kind: .itemsType,
                              message: "the items are typed as strings, but the description says they are objects")]
    }
}
