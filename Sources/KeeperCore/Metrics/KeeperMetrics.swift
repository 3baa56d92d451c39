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
                             labels: [("upstream", upstream), ("direction", direction), ("kind", kind)]).increment()
    }

    /// A tool call refused by the tool policy.
    public func policyDenied(upstream: String, tool: String) {
        registry.makeCounter(name: "mcpkeeper_policy_denied_total", labels: [("upstream", upstream), ("tool", tool)]).increment()
    }

    /// Prometheus text exposition format 0.0.4.
    public func exposition() -> String { registry.emitToString() }
}
