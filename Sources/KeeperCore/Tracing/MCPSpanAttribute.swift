/// Span attribute names: the OpenTelemetry semantic conventions for MCP, GenAI and JSON-RPC
/// (semantic-conventions 1.44) where they name the thing, `mcpkeeper.*` for what only the proxy knows.
/// Arguments, results and credentials never become attributes.
enum MCPSpanAttribute {
    static let method = "mcp.method.name"
    static let sessionID = "mcp.session.id"
    static let protocolVersion = "mcp.protocol.version"
    static let toolName = "gen_ai.tool.name"
    static let operationName = "gen_ai.operation.name"
    static let requestID = "jsonrpc.request.id"
    static let errorCode = "rpc.jsonrpc.error_code"
    static let errorType = "error.type"

    static let upstream = "mcpkeeper.upstream"
    static let outcome = "mcpkeeper.outcome"
    static let attempts = "mcpkeeper.attempts"
    static let attempt = "mcpkeeper.retry.attempt"
    static let retryReason = "mcpkeeper.retry.reason"
    static let retryWaitMilliseconds = "mcpkeeper.retry.wait_ms"
    static let validationErrors = "mcpkeeper.validation.errors"
    static let probePhase = "mcpkeeper.probe.phase"
    static let probeTarget = "mcpkeeper.probe.target"
}
