import Prometheus

/// The Notion-outcome metrics, beside (not inside) the core set: which rule recognised what, and
/// how long retries waited.
extension KeeperMetrics {
    /// Waits before a retry, seconds (10 ms … 60 s).
    static let retryWaitBuckets: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                                               .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10),
                                               .seconds(30), .seconds(60)]

    static var notionOutcomes: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "mcpkeeper", metricName: "notion_outcomes", unitName: "total",
            helpText: "Upstream answers classified as a Notion error, by class and by the rule that recognised it.")
    }
    static var retryWaits: MetricNameDescriptor {
        MetricNameDescriptor(
            namespace: "mcpkeeper", subsystem: "upstream", metricName: "retry_wait", unitName: "seconds",
            helpText: "Time waited before retrying a request, by reason.")
    }

    /// An upstream answer in which a rule found an error, by class and rule (`notion_error_text`, `user:NAME`, …).
    public func notionOutcome(upstream: String, _ verdict: NotionVerdict) {
        registry.makeCounter(descriptor: Self.notionOutcomes,
                             labels: [("upstream", upstream), ("outcome", verdict.outcome.rawValue), ("rule", verdict.rule)]).increment()
    }

    /// The wait before one retry, by reason.
    public func retryWait(upstream: String, reason: String, _ wait: Duration) {
        registry.makeDurationHistogram(descriptor: Self.retryWaits, labels: [("upstream", upstream), ("reason", reason)],
                                       buckets: Self.retryWaitBuckets).record(wait)
    }
}
