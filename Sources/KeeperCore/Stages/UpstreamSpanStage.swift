import Tracing

/// The last stage when tracing is configured: one client span per message sent upstream (each
/// retry attempt has its own), whose context goes with the request in `_meta.traceparent` (and, to
/// an HTTP upstream, as the `traceparent` header), so the upstream's spans join the client's trace.
public struct UpstreamSpanStage: Stage {
    public init() {}

    public var facesUpstream: Bool { true }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        try await withSpan("upstream \(exchange.method)", ofKind: .client) { span in
            span.attributes[MCPSpanAttribute.method] = exchange.method
            span.attributes[MCPSpanAttribute.upstream] = exchange.upstream
            if let tool = exchange.tool { span.attributes[MCPSpanAttribute.toolName] = tool }
            var sent = exchange
            sent.message = TraceContextCarrier.injecting(InstrumentationContext.current ?? .topLevel, into: exchange.message)
            let reply = try await next(sent)
            if let status = reply.httpStatus { span.attributes["http.response.status_code"] = status }
            if let error = reply.transportError {
                span.attributes[MCPSpanAttribute.errorType] = Self.errorType(error)
                span.setStatus(SpanStatus(code: .error))
            }
            return reply
        }
    }

    /// A low-cardinality `error.type` for a transport failure.
    static func errorType(_ error: TransportError) -> String {
        switch error {
        case .closed: "closed"
        case .connectFailed: "connect_failed"
        case .connectionLost: "connection_lost"
        case .httpStatus(let status, _, _): String(status)
        case .sessionExpired: "session_expired"
        case .timedOut: "timeout"
        }
    }
}
