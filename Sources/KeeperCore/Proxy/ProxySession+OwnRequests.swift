import Tracing

extension ProxySession {
    /// A request of the proxy's own through the stages that face the upstream, in a span of its own:
    /// asked while serving a client's request (the tool list for validation), its attempts would
    /// otherwise read as that request's.
    func runOwn(_ exchange: Exchange, terminal: @escaping Stage.Next) async throws -> Reply {
        try await withSpan("mcpkeeper \(exchange.method)", ofKind: .internal) { [pipeline] span in
            span.attributes[MCPSpanAttribute.method] = exchange.method
            return try await pipeline.runOwn(exchange, terminal: terminal)
        }
    }

    /// A request of the proxy's own on one given link (a bridge's `initialize`, `logging/setLevel`,
    /// `resources/subscribe`), paced and retried like any other; a retry stays on that link.
    func sendOwn(_ exchange: Exchange, on upstream: any UpstreamLink, generation linkGeneration: Int) async throws -> Reply {
        try await runOwn(exchange) { [self] in
            try await sendAndAwait(upstream, generation: linkGeneration, exchange: $0, clientID: nil)
        }
    }
}
