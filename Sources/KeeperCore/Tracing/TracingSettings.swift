/// The config's `tracing` section: whether spans are exported, where, and under which service name.
/// The standard `OTEL_*` variables override it (`TraceExport.configuration`).
public struct TracingSettings: Sendable, Equatable {
    /// False turns tracing off even when `OTEL_EXPORTER_OTLP_ENDPOINT` is set.
    public var enabled = true
    /// The collector's base URL (e.g. http://127.0.0.1:4318); `/v1/traces` is appended, as it is to
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`.
    public var endpoint: String?
    public var serviceName: String?

    public init() {}
}
