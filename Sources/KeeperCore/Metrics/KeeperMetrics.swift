import Foundation
import Prometheus

/// The proxy's own counters in one Prometheus registry, named as DESIGN.md "Metrics" lists them.
/// One instance per process, shared by every session and stage.
public final class KeeperMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    /// The recent history behind `/status`: counters say how many since start, the board says when.
    public let board: StatusBoard
    private let tools = BoundedLabel()
    private let notionCodes = BoundedLabel(limit: 32)

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), board: StatusBoard = StatusBoard()) {
        self.registry = registry
        self.board = board
    }

    /// A request, tool call argument or upstream result that failed validation.
    /// `direction` is `request` or `response`; `kind` names the check (params, arguments, result, structured_content).
    public func validationFailure(upstream: String, direction: String, kind: String) {
        registry.makeCounter(descriptor: Self.named("mcpkeeper_validation_failures_total", "Requests, arguments or upstream results that failed validation."), labels: [("upstream", upstream), ("direction", direction), ("kind", kind)]).increment()
    }

    /// Changes `safe` schema repair made: `kind` as ``SchemaFinding/Kind`` names it (unused_definition,
    /// metaschema, root_type for tool lists, counted once per tool-list version; stringified_argument per value).
    public func schemaRepairs(upstream: String, kind: String, count: Int = 1) {
        registry.makeCounter(descriptor: Self.named("mcpkeeper_schema_repairs_total", "Tool-schema and argument repairs applied."), labels: [("upstream", upstream), ("kind", kind)]).increment(by: Int64(count))
    }

    /// A tool call refused by the tool policy.
    public func policyDenied(upstream: String, tool: String) {
        registry.makeCounter(descriptor: Self.named("mcpkeeper_policy_denied_total", "Tool calls refused by the tool policy."), labels: [("upstream", upstream), ("tool", tools.value(tool))]).increment()
    }

    /// A retry of a request to the upstream; `reason` as `RetryClassifier` names it (http_429, connect, …).
    public func retry(upstream: String, reason: String) {
        registry.makeCounter(descriptor: Self.named("mcpkeeper_upstream_retries_total", "Requests sent to the upstream again, by reason."), labels: [("upstream", upstream), ("reason", reason)]).increment()
        board.retry(upstream)
    }

    /// The upstream said "too many requests" (HTTP 429 or Notion's in-result rate limit).
    public func rateLimited(upstream: String) {
        registry.makeCounter(descriptor: Self.named("mcpkeeper_upstream_rate_limited_total", "Rate-limit answers from the upstream (HTTP 429 or Notion's rate_limited)."), labels: [("upstream", upstream)]).increment()
        board.rateLimited(upstream)
    }

    /// The proxy reconnected to the upstream (child restarted, new HTTP session).
    public func reconnect(upstream: String, reason: String) {
        registry.makeCounter(descriptor: Self.named("mcpkeeper_upstream_reconnects_total", "Links to the upstream re-established (child restarted, new HTTP session)."), labels: [("upstream", upstream), ("reason", reason)]).increment()
    }

    /// A Notion API error returned inside a `tools/call` result, by Notion's error code.
    public func notionError(upstream: String, code: String) {
        registry.makeCounter(descriptor: Self.named("mcpkeeper_notion_errors_total", "Notion API errors returned inside tool results, by Notion's error code."), labels: [("upstream", upstream), ("code", notionCodes.value(code))]).increment()
    }

    /// A server message for stateless (2026-07-28) HTTP clients that could not be attributed to one
    /// request, so was delivered to none.
    public func undeliverable(method: String) {
        registry.makeCounter(descriptor: Self.named("mcpkeeper_undeliverable_messages_total",
                                                    "Server messages for stateless HTTP clients that no single request could be found for (not delivered)."),
                             labels: [("method", MetricLabels.message(method))]).increment()
    }

    /// Requests waiting for a pacing token.
    public func pacingQueueDepth(upstream: String, _ depth: Int) {
        registry.makeGauge(descriptor: Self.named("mcpkeeper_pacing_queue_depth", "Requests waiting for a pacing token."), labels: [("upstream", upstream)]).set(Double(depth))
    }

    /// Tools of the upstream held back by `tools.quarantine` in the last tool list a client was given.
    public func toolsQuarantined(upstream: String, _ count: Int) {
        registry.makeGauge(descriptor: Self.named("mcpkeeper_tools_quarantined", "Tools held back until a person approves their changed (or new) definitions."),
                           labels: [("upstream", upstream)]).set(Double(count))
    }

    /// Durations of requests through the proxy, seconds (1 ms … 30 s).
    static let durationBuckets: [Duration] = [.milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25),
                                              .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                              .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10), .seconds(30)]

    /// One client request and how it ended (ok, error, rejected, failed, cancelled).
    public func request(upstream: String, method: String, outcome: String, duration: Duration) {
        let method = MetricLabels.method(method)
        registry.makeCounter(descriptor: Self.named("mcpkeeper_requests_total", "Client requests through the proxy, by method and outcome."), labels: [("upstream", upstream), ("method", method), ("outcome", outcome)]).increment()
        registry.makeDurationHistogram(descriptor: Self.named("mcpkeeper_request_duration_seconds", "Time from a client request to its answer."), labels: [("upstream", upstream), ("method", method)], buckets: Self.durationBuckets).record(duration)
    }

    /// Whether the session's link to the upstream is up (1) or being re-established (0).
    public func upstreamUp(upstream: String, _ up: Bool) {
        registry.makeGauge(descriptor: Self.named("mcpkeeper_upstream_up", "Whether the link to the upstream is up (1) or being re-established (0)."), labels: [("upstream", upstream)]).set(to: up ? 1.0 : 0.0)
        board.link(upstream, up: up)
    }

    /// When the upstream's OAuth access token expires (Unix time), as last loaded or refreshed.
    public func tokenExpiry(upstream: String, _ date: Date?) {
        guard let date else { return }
        registry.makeGauge(descriptor: Self.named("mcpkeeper_token_expiry_timestamp_seconds", "When the upstream's OAuth access token expires (Unix time)."),
                           labels: [("upstream", upstream)]).set(to: date.timeIntervalSince1970.rounded())
        board.tokenExpiry(upstream, date)
    }

    /// Client sessions open; `delta` +1 when one starts, -1 when it ends.
    public func sessions(upstream: String, delta: Double) {
        registry.makeGauge(descriptor: Self.named("mcpkeeper_sessions_active", "Client sessions open."), labels: [("upstream", upstream)]).increment(by: delta)
    }

    /// Prometheus text exposition format 0.0.4.
    /// A metric's full name as one component (the names here already end in their unit).
    private static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    public func exposition() -> String { registry.emitToString() }
}
