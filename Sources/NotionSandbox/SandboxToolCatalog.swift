import KeeperCore

/// The sandbox's `tools/list`: the tools of `@notionhq/notion-mcp-server`, shaped as that server
/// generates them from Notion's OpenAPI document.
///
/// Each tool is named `API-` + the operationId; its description is `Notion | <summary>` plus the error
/// responses; path, query and body parameters all become top-level properties of one object schema
/// (shared component schemas under `$defs`); GET operations are annotated `readOnlyHint`, all others
/// `destructiveHint`. The same values the official server lists, so the proxy's validation, policy
/// and retry decisions can be tested against the sandbox and hold against the real thing.
public enum SandboxToolCatalog {
    /// One OpenAPI operation, the source of one tool.
    struct Operation: Sendable {
        var operationID: String
        /// `get`, `post`, `patch` or `delete`.
        var method: String
        var summary: String
        var properties: JSONObject
        var required: [String] = []
        var defs: JSONObject?
        /// The 400 response's description, which the official server copies into the tool description.
        var badRequest = "Bad request"
        /// Whether the operation declares the `Notion-Version` header parameter (create-a-comment does not).
        var notionVersionHeader = true

        var name: String { "API-" + operationID }
    }

    /// The MCP Tool objects: name, description, inputSchema, annotations.
    public static let tools: [JSONValue] = operations.map(tool)

    /// The tool names, in catalog order.
    public static let names: [String] = operations.map(\.name)

    /// Whether `name` is a catalog tool.
    public static func contains(_ name: String) -> Bool { names.contains(name) }

    /// POST operations that only read (Notion's search and query take their filters in a body),
    /// though the official server annotates them `destructiveHint` like every non-GET.
    static let readingPosts: Set<String> = ["API-post-search", "API-query-data-source"]

    /// Whether the tool changes the workspace: every operation but GET and the reading POSTs.
    /// Names outside the catalog count as writes, since nothing says they are safe.
    public static func isWrite(_ name: String) -> Bool {
        guard !readingPosts.contains(name) else { return false }
        return operations.first(where: { $0.name == name })?.method != "get"
    }

    static func tool(_ operation: Operation) -> JSONValue {
        var properties = operation.properties
        if operation.notionVersionHeader {
            properties["Notion-Version"] = [
                "type": "string", "default": "2025-09-03", "description": "The Notion API version",
            ]
        }
        var schema: JSONObject = [
            "type": "object", "properties": .object(properties),
            "required": .array(operation.required.map(JSONValue.string)),
        ]
        if let defs = operation.defs { schema["$defs"] = .object(defs) }
        let hint = operation.method == "get" ? "readOnlyHint" : "destructiveHint"
        return [
            "name": .string(operation.name),
            "description": .string("Notion | \(operation.summary)\nError Responses:\n400: \(operation.badRequest)"),
            "inputSchema": .object(schema),
            "annotations": ["title": .string(operation.summary), hint: true],
        ]
    }
}
