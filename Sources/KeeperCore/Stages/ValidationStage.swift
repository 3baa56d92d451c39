import Logging
import Tracing

/// Checks what crosses the proxy: request params for their method, `tools/call` arguments against
/// the tool's `inputSchema` (an invalid call never reaches the upstream; nor does a call of a tool the
/// upstream does not list, `UnknownToolCheck`), and upstream results for
/// their method and against `outputSchema`. Each direction is `enforce`, `warn` or `off`.
public struct ValidationStage: Stage {
    public let settings: ValidationSettings
    let metrics: KeeperMetrics
    let logger: Logger

    public init(settings: ValidationSettings, metrics: KeeperMetrics, logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        let catalog = exchange.context.tools
        // Each message by its own version's rules: a modern request names it, a legacy one has the session's.
        let version = exchange.protocolVersion ?? catalog.protocolVersion
        if settings.requests != .off,
           let refusal = await withSpan("validate request", { span in await checkRequest(exchange, version: version, span: span) }) {
            return refusal
        }
        var reply = try await next(exchange)
        // A result is checked by its outline (its long texts need not be decoded to know their type),
        // except the two whose content the session keeps: the tool list and the negotiated version.
        let isCall = exchange.method == "tools/call"
        let outlined = exchange.method != "tools/list" && exchange.method != "initialize"
        guard case .upstream(let response) = reply.outcome, let result = outlined ? response.resultOutline : response.result else { return reply }
        if exchange.method == "tools/list" {
            catalog.record(page: result, firstPage: exchange.message.params?["cursor"] == nil)
        }
        if exchange.method == "initialize", let version = result["protocolVersion"]?.stringValue.flatMap(MCPProtocolVersion.init) {
            catalog.protocolVersion = version
        }
        guard settings.responses != .off else { return reply }
        var violations = MCPMessageChecks.checkResult(method: exchange.method, result: result, version: version)
        if !violations.isEmpty, outlined, let whole = response.result {
            // Reported with the texts as sent, not as outlined.
            violations = MCPMessageChecks.checkResult(method: exchange.method, result: whole, version: version)
        }
        var kind = "result"
        if violations.isEmpty, isCall, result["isError"] != true, result["resultType"] != "input_required", let name = exchange.tool,
           let output = catalog.tool(named: name)?.output {
            kind = "structured_content"
            if let structured = response.result?["structuredContent"] {
                violations = output.validate(structured).map { $0.prefixed("/structuredContent") }
            } else {
                violations = [SchemaViolation(instancePointer: "/structuredContent", keyword: "required",
                                              message: "the tool declares an outputSchema but the result has no structuredContent",
                                              schemaPointer: "CallToolResult")]
            }
        }
        guard !violations.isEmpty else { return reply }
        record(violations, exchange: exchange, direction: "response", kind: kind)
        reply.validationErrors = violations.map(\.description)
        if settings.responses == .enforce {
            reply.outcome = .proxy(JSONRPCError(
                code: JSONRPCError.internalErrorCode,
                message: Self.summary("Upstream '\(exchange.upstream)' sent an invalid result for \(exchange.method)", violations),
                data: ["errors": Self.errors(violations)]), outcome: "rejected")
        }
        return reply
    }

    /// The refusal of a request that fails its checks in `enforce` mode; nil lets it through.
    private func checkRequest(_ exchange: Exchange, version: MCPProtocolVersion, span: any Span) async -> Reply? {
        let catalog = exchange.context.tools
        var violations = MCPMessageChecks.checkRequest(method: exchange.method, params: exchange.message.params,
                                                       version: version)
        if violations.isEmpty {
            violations = ModernRequestEnvelope.check(method: exchange.method, params: exchange.message.params, version: version)
        }
        var kind = "params"
        if violations.isEmpty, exchange.method == "tools/call", let name = exchange.tool {
            try? await catalog.refreshIfNeeded(using: exchange.context.upstream)
            if let unknown = await UnknownToolCheck.refusal(for: name, exchange: exchange) {
                metrics.validationFailure(upstream: exchange.upstream, direction: "request", kind: "unknown_tool")
                logger.warning("unknown tool", metadata: ["tool": "\(name)", "upstream": "\(exchange.upstream)"])
                if settings.requests == .enforce {
                    var reply = Reply.refused(unknown)
                    reply.validationErrors = [unknown.message]
                    span.attributes[MCPSpanAttribute.validationErrors] = reply.validationErrors.count
                return reply
                }
            }
            if let schema = catalog.tool(named: name)?.input {
                violations = schema.validate(exchange.message.params?["arguments"] ?? .object(JSONObject()))
                kind = "arguments"
            }
        }
        if !violations.isEmpty {
            span.attributes[MCPSpanAttribute.validationErrors] = violations.count
            record(violations, exchange: exchange, direction: "request", kind: kind)
            if settings.requests == .enforce {
                var reply = Reply.refused(JSONRPCError(
                    code: JSONRPCError.invalidParamsCode,
                    message: Self.summary(kind == "arguments" ? "Invalid arguments for tool \"\(exchange.tool ?? "")\"" : "Invalid params for \(exchange.method)", violations),
                    data: ["errors": Self.errors(violations)]))
                reply.validationErrors = violations.map(\.description)
                return reply
            }
        }
        return nil
    }

    private func record(_ violations: [SchemaViolation], exchange: Exchange, direction: String, kind: String) {
        metrics.validationFailure(upstream: exchange.upstream, direction: direction, kind: kind)
        logger.warning("validation failed", metadata: [
            "direction": "\(direction)", "method": "\(exchange.method)", "tool": "\(exchange.tool ?? "")",
            "errors": "\(violations.prefix(5).map(\.description).joined(separator: "; "))",
        ])
    }

    static func summary(_ headline: String, _ violations: [SchemaViolation]) -> String {
        let shown = violations.prefix(3).map(\.description).joined(separator: "; ")
        let more = violations.count > 3 ? " (and \(violations.count - 3) more in data.errors)" : ""
        return "\(headline): \(shown)\(more)."
    }

    static func errors(_ violations: [SchemaViolation]) -> JSONValue {
        .array(violations.map { ["pointer": .string($0.instancePointer), "keyword": .string($0.keyword), "message": .string($0.message)] })
    }
}

extension SchemaViolation {
    func prefixed(_ pointer: String) -> SchemaViolation {
        SchemaViolation(instancePointer: pointer + instancePointer, keyword: keyword, message: message, schemaPointer: schemaPointer)
    }
}
