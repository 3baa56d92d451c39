/// Counts every client request by method and outcome and records its duration
/// (`mcpkeeper_requests_total`, `mcpkeeper_request_duration_seconds`).
public struct MetricsStage: Stage {
    let metrics: KeeperMetrics

    public init(metrics: KeeperMetrics) { self.metrics = metrics }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        do {
            let reply = try await next(exchange)
            metrics.request(upstream: exchange.upstream, method: exchange.method, outcome: reply.outcomeLabel,
                            duration: ContinuousClock.now - exchange.receivedAt)
            return reply
        } catch {
            metrics.request(upstream: exchange.upstream, method: exchange.method, outcome: "cancelled",
                            duration: ContinuousClock.now - exchange.receivedAt)
            throw error
        }
    }
}
