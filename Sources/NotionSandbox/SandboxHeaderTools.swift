import KeeperCore

/// Tools with `x-mcp-header` parameters (2026-07-28), listed when the sandbox serves the modern era
/// with `--client-request-tools`: one whose `region` an HTTP client mirrors into `Mcp-Param-Region`,
/// and one whose annotation breaks the rules (on a `number`), which an HTTP client must leave out.
enum SandboxHeaderTools {
    static let routedTool = "sandbox-routed-echo"
    static let invalidTool = "sandbox-invalid-header"

    static let tools: [JSONValue] = [
        [
            "name": .string(routedTool),
            "description": "Echoes the region it was routed to; the region travels in the Mcp-Param-Region header too.",
            "inputSchema": ["type": "object",
                            "properties": ["region": ["type": "string", "x-mcp-header": "Region"], "message": ["type": "string"]],
                            "required": ["region"]],
            "annotations": ["readOnlyHint": true, "title": "Routed echo"],
        ],
        [
            "name": .string(invalidTool),
            "description": "Its x-mcp-header is on a number, which the 2026-07-28 specification forbids.",
            "inputSchema": ["type": "object", "properties": ["ratio": ["type": "number", "x-mcp-header": "Ratio"]]],
            "annotations": ["readOnlyHint": true, "title": "Invalid header annotation"],
        ],
    ]

    static func result(for name: String, arguments: JSONObject) -> JSONValue? {
        switch name {
        case routedTool: return SandboxServer.textResult("routed to \(arguments["region"]?.stringValue ?? "nowhere")")
        case invalidTool: return SandboxServer.textResult("called with an invalid header annotation")
        default: return nil
        }
    }
}
