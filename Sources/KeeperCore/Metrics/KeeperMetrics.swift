import Foundation
import Prometheus

/// The proxy's own counters in one Prometheus registry, named as DESIGN.md "Metrics" lists them.
/// One instance per process, shared by every session and stage.
public final class KeeperMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
    }

    /// A request, tool call argument or upstream result that failed validation.
    /// `direction` is `request` or `response`; `kind` names the check (params, arguments, result, structured_content).
    public func validationFailure(upstream: String, direction: String, kind: String) {
        registry.makeCounter(name: "mcpkeeper_validation_failures_total",
                             labels: [("upstream", upstream), ("direction", direction), ("kind", kind)], help: "Requests, arguments or upstream results that failed validation.").increment()
    }

    /// Changes `safe` schema repair made: `kind` as ``SchemaFinding/Kind`` names it (unused_definition,
    /// metaschema, root_type for tool lists, counted once per tool-list version; stringified_argument per value).
    public func schemaRepairs(upstream: String, kind: String, count: Int = 1) {
        registry.makeCounter(name: "mcpkeeper_schema_repairs_total", labels: [("upstream", upstream), ("kind", kind)], help: "Tool-schema and argument repairs applied.").increment(by: Int64(count))
    }

    /// A tool call refused by the tool policy.
    public func policyDenied(upstream: String, tool: String) {
        registry.makeCounter(name: "mcpkeeper_policy_denied_total", labels: [("upstream", upstream), ("tool", tool)], help: "Tool calls refused by the tool policy.").increment()
    }

    /// A retry of a request to the upstream; `reason` as `RetryClassifier` names it (http_429, connect, …).
    public func retry(upstream: String, reason: String) {
        registry.makeCounter(name: "mcpkeeper_upstream_retries_total", labels: [("upstream", upstream), ("reason", reason)], help: "Requests sent to the upstream again, by reason.").increment()
    }

    /// The upstream said "too many requests" (HTTP 429 or Notion's in-result rate limit).
    public func rateLimited(upstream: String) {
        registry.makeCounter(name: "mcpkeeper_upstream_rate_limited_total", labels: [("upstream", upstream)], help: "Rate-limit answers from the upstream (HTTP 429 or Notion's rate_limited).").increment()
    }

    /// The proxy reconnected to the upstream (child restarted, new HTTP session).
    public func reconnect(upstream: String, reason: String) {
        registry.makeCounter(name: "mcpkeeper_upstream_reconnects_total", labels: [("upstream", upstream), ("reason", reason)], help: "Links to the upstream re-established (child restarted, new HTTP session).").increment()
    }

    /// A Notion API error returned inside a `tools/call` result, by Notion's error code.
    public func notionError(upstream: String, code: String) {
        registry.makeCounter(name: "mcpkeeper_notion_errors_total", labels: [("upstream", upstream), ("code", code)], help: "Notion API errors returned inside tool results, by Notion's error code.").increment()
    }

    /// Requests waiting for a pacing token.
    public func pacingQueueDepth(upstream: String, _ depth: Int) {
        registry.makeGauge(name: "mcpkeeper_pacing_queue_depth", labels: [("upstream", upstream)], help: "Requests waiting for a pacing token.").set(Double(depth))
    }

    /// Durations of requests through the proxy, seconds (1 ms … 30 s).
    static let durationBuckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                              .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                              .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30)]

    /// One client request and how it ended (ok, error, rejected, failed, cancelled).
    public func request(upstream: String, method: String, outcome: String, duration: Duration) {
        registry.makeCounter(name: "mcpkeeper_requests_total", labels: [("upstream", upstream), ("method", method), ("outcome", outcome)], help: "Client requests through the proxy, by method and outcome.").increment()
        registry.makeDurationHistogram(name: "mcpkeeper_request_duration_seconds", labels: [("upstream", upstream), ("method", method)],
                                       buckets: Self.durationBuckets, help: "Time from a client request to its answer.").record(duration)
    }

    /// Whether the session's link to the upstream is up (1) or being re-established (0).
    public func upstreamUp(upstream: String, _ up: Bool) {
        registry.makeGauge(name: "mcpkeeper_upstream_up", labels: [("upstream", upstream)], help: "Whether the link to the upstream is up (1) or being re-established (0).").set(to: up ? 1.0 : 0.0)
    }

    /// When the upstream's OAuth access token expires (Unix time), as last loaded or refreshed.
    public func tokenExpiry(upstream: String, _ date: Date?) {
        guard let date else { return }
        registry.makeGauge(name: "mcpkeeper_token_expiry_timestamp_seconds", labels: [("upstream", upstream)],
                           help: "When the upstream's OAuth access token expires (Unix time).").set(to: date.timeIntervalSince1970.rounded())
    }

    /// Client sessions open; `delta` +1 when one starts, -1 when it ends.
    public func sessions(upstream: String, delta: Double) {
        registry.makeGauge(name: "mcpkeeper_sessions_active", labels: [("upstream", upstream)], help: "Client sessions open.").increment(by: delta)
    }

    /// Prometheus text exposition format 0.0.4.
    public func exposition() -> String { registry.emitToString() }
}
