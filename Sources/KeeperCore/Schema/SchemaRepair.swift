/// `safe` repair of tool schemas, as a pure function: what strict clients refuse is fixed, and
/// nothing a valid schema accepts changes.
///
/// - every keyword value the declared draft's metaschema rejects is fixed or dropped (``MetaschemaRules``);
/// - `$defs` / `definitions` entries that nothing reachable references are removed (with whatever
///   dangling references and unknown types they held), unless the schema names resources in ways
///   the walk cannot follow (`$anchor`, `$id` below the root, `$dynamicRef`, an unresolvable `$ref`);
/// - a tool's `inputSchema` root without `type` becomes `"type": "object"` (MCP arguments are an object).
///
/// Each change is a ``SchemaFinding`` with its pointer, for the log and `mcpkeeper lint`.
public enum SchemaRepair {
    /// Repairs a list of MCP Tool objects; tools that need nothing come back unchanged.
    public static func repair(tools: [JSONValue]) -> (tools: [JSONValue], findings: [SchemaFinding]) {
        var findings: [SchemaFinding] = []
        let repaired = tools.map { tool in
            let (fixed, found) = repair(tool: tool)
            findings += found
            return fixed
        }
        return (repaired, findings)
    }

    /// Repairs one Tool's `inputSchema` and `outputSchema`; findings point into the tool object.
    public static func repair(tool: JSONValue) -> (tool: JSONValue, findings: [SchemaFinding]) {
        guard case .object(var object) = tool else { return (tool, []) }
        let name = object["name"]?.stringValue ?? "?"
        var findings: [SchemaFinding] = []
        for member in ["inputSchema", "outputSchema"] {
            guard let schema = object[member] else { continue }
            var (fixed, found) = repair(schema)
            if member == "inputSchema", case .object(let root) = fixed, root["type"] == nil {
                fixed = .object(JSONObject([("type", "object")] + root.members.map { ($0.key, $0.value) }))
                found.insert(SchemaFinding(pointer: "/type", kind: .rootType,
                                           message: "a tool's inputSchema must say \"type\": \"object\"", repair: "added \"type\": \"object\""), at: 0)
            }
            findings += found.map { $0.located(tool: name, under: member) }
            object[member] = fixed
        }
        return (.object(object), findings)
    }

    /// Repairs one schema: metaschema fixes everywhere, then unused definitions removed.
    public static func repair(_ schema: JSONValue) -> (schema: JSONValue, findings: [SchemaFinding]) {
        repair(schema, defaultDraft: .draft2020_12)
    }

    /// `defaultDraft` is the draft of a schema without `$schema` (MCP says 2020-12; test suites differ).
    static func repair(_ schema: JSONValue, defaultDraft: SchemaDocument.Draft) -> (schema: JSONValue, findings: [SchemaFinding]) {
        let draft = SchemaDocument.Draft.of(schema, fallback: defaultDraft)
        var findings: [SchemaFinding] = []
        let fixed = mapSchemaObjects(schema, at: "") { keywords, pointer in
            let (result, found) = MetaschemaRules.fix(keywords, at: pointer, draft: draft)
            findings += found
            return result
        }
        let unused = unusedDefinitions(in: fixed)
        guard !unused.isEmpty else { return (fixed, findings) }
        let pruned = mapSchemaObjects(fixed, at: "") { keywords, pointer in
            var result = keywords
            for container in SchemaDocument.definitionKeywords {
                guard case .object(var definitions)? = keywords[container] else { continue }
                let names = definitions.keys.filter { unused.contains(JSONPointer.appending(pointer, container, $0)) }
                guard !names.isEmpty else { continue }
                for name in names { definitions[name] = nil }
                result[container] = definitions.isEmpty ? nil : .object(definitions)
            }
            return result
        }
        for pointer in unused.sorted() {
            findings.append(SchemaFinding(pointer: pointer, kind: .unusedDefinition,
                                          message: "nothing reachable from the root references this definition", repair: "removed"))
        }
        return (pruned, findings)
    }

    /// Pointers of the definitions (in any `$defs` / `definitions`) that no reachable `$ref` leads
    /// into; empty when the schema's references cannot all be followed.
    static func unusedDefinitions(in schema: JSONValue) -> Set<String> {
        let document = SchemaDocument(schema)
        let reach = document.reach()
        guard !reach.opaque else { return [] }
        var unused: Set<String> = []
        document.forEachSchemaObject { keywords, pointer in
            for container in SchemaDocument.definitionKeywords {
                guard case .object(let definitions)? = keywords[container] else { continue }
                let containerPointer = JSONPointer.appending(pointer, container)
                // A reference to the container itself treats every entry as a possible target.
                if reach.targets.contains(containerPointer) { continue }
                for name in definitions.keys {
                    let entry = JSONPointer.appending(containerPointer, name)
                    let used = reach.targets.contains { $0 == entry || $0.hasPrefix(entry + "/") }
                    if !used { unused.insert(entry) }
                }
            }
        }
        // An entry inside an unused one goes with it; report only the outermost.
        return unused.filter { entry in !unused.contains { entry.hasPrefix($0 + "/") } }
    }

    /// Rebuilds a schema, passing each schema object (root first, then its subschemas and
    /// definitions, as `transform` left them) through `transform`.
    static func mapSchemaObjects(_ schema: JSONValue, at pointer: String,
                                 _ transform: (JSONObject, String) -> JSONObject) -> JSONValue {
        guard case .object(let original) = schema else { return schema }
        var keywords = transform(original, pointer)
        for keyword in SchemaDocument.directKeywords {
            switch keywords[keyword] {
            case .array(let list)?:
                keywords[keyword] = .array(list.enumerated().map { index, element in
                    mapSchemaObjects(element, at: JSONPointer.appending(pointer, keyword, String(index)), transform)
                })
            case let value?:
                keywords[keyword] = mapSchemaObjects(value, at: JSONPointer.appending(pointer, keyword), transform)
            case nil:
                break
            }
        }
        for keyword in SchemaDocument.mapKeywords + SchemaDocument.definitionKeywords {
            guard case .object(let map)? = keywords[keyword] else { continue }
            keywords[keyword] = .object(JSONObject(map.members.map { member in
                (member.key, mapSchemaObjects(member.value, at: JSONPointer.appending(pointer, keyword, member.key), transform))
            }))
        }
        return .object(keywords)
    }
}
