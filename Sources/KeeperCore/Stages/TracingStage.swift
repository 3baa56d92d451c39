import Tracing

/// Opens one server span per client request, the parent of every span the stages after it open:
/// a child of the client's own trace when the request names one in `_meta.traceparent` (the HTTP
/// listener moves a `traceparent` header there). In the pipeline only when tracing is configured.
public struct TracingStage: Stage {
    public init() {}

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        var parent = InstrumentationContext.topLevel
        let fields = TraceContextCarrier.fields(of: exchange.message)
        if !fields.isEmpty {
            InstrumentationSystem.tracer.extract(fields, into: &parent, using: TraceContextCarrier.FieldExtractor())
        }
        let name = exchange.tool.map { "\(exchange.method) \($0)" } ?? exchange.method
        return try await withSpan(name, context: parent, ofKind: .server) { span in
            span.attributes[MCPSpanAttribute.method] = exchange.method
            span.attributes[MCPSpanAttribute.sessionID] = exchange.session
            span.attributes[MCPSpanAttribute.requestID] = exchange.clientID.description
            span.attributes[MCPSpanAttribute.upstream] = exchange.upstream
            span.attributes[MCPSpanAttribute.protocolVersion] = exchange.context.tools.protocolVersion.rawValue
            if let tool = exchange.tool {
                span.attributes[MCPSpanAttribute.toolName] = tool
                span.attributes[MCPSpanAttribute.operationName] = "execute_tool"
            }
            let reply = try await next(exchange)
            Self.record(reply, on: span)
            return reply
        }
    }

    /// How the request ended: the JSON-RPC error code and an `error.type` for any failure.
    static func record(_ reply: Reply, on span: any Span) {
        span.attributes[MCPSpanAttribute.outcome] = reply.outcomeLabel
        span.attributes[MCPSpanAttribute.attempts] = reply.attempts
        var errorType: String?
        switch reply.outcome {
        case .upstream(let response):
            if case .errorResponse(_, let error) = response.kind {
                span.attributes[MCPSpanAttribute.errorCode] = error.code
                errorType = String(error.code)
            } else if response.resultOutline?["isError"] == true {
                errorType = "tool_error"
            }
        case .proxy(let error, let outcome):
            span.attributes[MCPSpanAttribute.errorCode] = error.code
            errorType = outcome
        }
        if let errorType {
            span.attributes[MCPSpanAttribute.errorType] = errorType
            span.setStatus(SpanStatus(code: .error))
        }
    }
}
