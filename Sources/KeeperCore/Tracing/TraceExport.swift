import Logging
import OTel
import ServiceLifecycle
import Synchronization
import Tracing

/// The OTLP/HTTP span exporter, running in the background once tracing is configured. Spans wait in
/// a bounded queue (2048, dropped and counted when full; see `TraceLoss`) and go out in batches with
/// a timeout, so an unreachable collector never delays a request; at exit the queue gets a bounded
/// time to drain.
public final class TraceExport: Sendable {
    private let group: ServiceGroup
    private let running: Task<Void, Never>

    private init(group: ServiceGroup, logger: Logger) {
        self.group = group
        running = Task {
            do { try await group.run() } catch {
                logger.warning("the trace exporter stopped", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Whether traces are wanted: the config's `tracing` section, or the standard variables
    /// (`OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, `OTEL_TRACES_EXPORTER=otlp`);
    /// `OTEL_SDK_DISABLED=true`, `OTEL_TRACES_EXPORTER=none` or `"enabled": false` turn them off.
    public static func isWanted(_ settings: TracingSettings?, environment: [String: String]) -> Bool {
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return false }
        if let exporter = environment["OTEL_TRACES_EXPORTER"], exporter.lowercased() != "otlp" { return false }
        if let settings { return settings.enabled }
        return environment["OTEL_EXPORTER_OTLP_ENDPOINT"] != nil || environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] != nil
            || environment["OTEL_TRACES_EXPORTER"] != nil
    }

    /// swift-otel's configuration for `settings`: traces only, W3C trace context, OTLP/HTTP, a short
    /// export timeout. The `OTEL_*` variables are applied over it by swift-otel.
    static func configuration(_ settings: TracingSettings?, logger: Logger) -> OTel.Configuration {
        var config = OTel.Configuration.default
        config.serviceName = settings?.serviceName ?? "mcpkeeper"
        config.diagnosticLogger = .custom(TraceLoss.shared.counting(into: logger))
        config.propagators = [.traceContext]
        config.logs.enabled = false
        config.metrics.enabled = false
        config.traces.enabled = true
        config.traces.exporter = .otlp
        if let endpoint = settings?.endpoint {
            config.traces.otlpExporter.endpoint = (endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint) + "/v1/traces"
        }
        config.traces.otlpExporter.timeout = .seconds(5)
        config.traces.batchSpanProcessor.scheduleDelay = .seconds(1)
        config.traces.batchSpanProcessor.exportTimeout = .seconds(5)
        config.traces.batchSpanProcessor.maxQueueSize = 2048
        return config
    }

    /// Bootstraps the process's tracer and starts exporting, when tracing is wanted; nil (and the
    /// no-op tracer, at no cost) otherwise, or when the configuration is unusable (said on stderr).
    public static func start(_ settings: TracingSettings?, environment: [String: String], logger: Logger) -> TraceExport? {
        guard isWanted(settings, environment: environment) else { return nil }
        do {
            let service = try OTel.bootstrap(configuration: configuration(settings, logger: logger), environment: environment)
            return TraceExport(group: ServiceGroup(services: [service], logger: logger), logger: logger)
        } catch {
            logger.error("tracing is configured but cannot start; running without traces", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Sends what is queued, waiting at most `limit` for the collector.
    public func shutdown(within limit: Duration = .seconds(2)) async {
        await group.triggerGracefulShutdown()
        let running = self.running
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let once = Mutex<CheckedContinuation<Void, Never>?>(continuation)
            let resume: @Sendable () -> Void = { once.withLock { $0.take() }?.resume() }
            Task { await running.value; resume() }
            Task { try? await Task.sleep(for: limit); resume() }
        }
    }
}
