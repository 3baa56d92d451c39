/// How the sandbox reports Notion's errors: the shapes real Notion MCP servers use, so the
/// classifier, the retry and hint stages and the probes can be exercised against each.
public enum SandboxDialect: String, Sendable, CaseIterable {
    /// The official npm server: a normal result whose one text is Notion's error object.
    case official
    /// A FastMCP server wrapping an HTTP client: `{"error": true, "status_code": 429, "details": {…Notion's body…}}`
    /// as text, and `structuredContent: {"result": "<the same text>"}`; no `isError`.
    case nestedJSON = "nested-json"
    /// An OpenAPI-generated server: `Tool: NAME\nStatus: 429\nError: MESSAGE` as text, `isError`, and
    /// Notion's body inside `structuredContent`.
    case plainText = "plain-text"
    /// Notion's hosted server: `isError`, `structuredContent.error` with `code`, `message` and
    /// `retry_after_seconds`, and the same JSON as text.
    case hosted
}
