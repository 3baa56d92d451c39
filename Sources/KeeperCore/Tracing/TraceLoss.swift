import Logging
import Synchronization

/// Spans the exporter could not deliver: dropped because its queue was full, or in a batch the
/// collector did not take. swift-otel reports both only as warnings on its diagnostic logger, so a
/// handler in front of ours counts them from those warnings' metadata, for
/// `mcpkeeper_trace_spans_lost_total` (present once tracing has started).
public final class TraceLoss: Sendable {
    public static let shared = TraceLoss()

    private struct Counts {
        var active = false
        var queueFull = 0
        var exportFailed = 0
    }

    private let counts = Mutex(Counts())

    init() {}

    /// The logger to give swift-otel: `logger`'s output, with the losses it reports counted.
    func counting(into logger: Logger) -> Logger {
        counts.withLock { $0.active = true }
        var counted = logger
        counted.handler = LossCountingLogHandler(wrapped: logger.handler, loss: self)
        return counted
    }

    func add(queueFull: Int = 0, exportFailed: Int = 0) {
        counts.withLock {
            $0.queueFull += queueFull
            $0.exportFailed += exportFailed
        }
    }

    public var exposition: String {
        let current = counts.withLock { $0 }
        guard current.active else { return "" }
        var text = PrometheusText()
        let help = "Trace spans that never reached the collector: dropped from the full export queue, or in a batch whose export failed."
        text.sample("mcpkeeper_trace_spans_lost_total", type: "counter", help: help, labels: [("reason", "queue_full")],
                    value: Double(current.queueFull))
        text.sample("mcpkeeper_trace_spans_lost_total", type: "counter", help: help, labels: [("reason", "export_failed")],
                    value: Double(current.exportFailed))
        return text.text
    }
}

/// Passes everything on to the handler it wraps, counting the two warnings that mean lost spans.
struct LossCountingLogHandler: LogHandler {
    var wrapped: any LogHandler
    let loss: TraceLoss

    var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        if event.level >= .warning {
            let message = event.message.description
            if message.hasPrefix("Spans were dropped") {
                loss.add(queueFull: count("dropped_count", in: event))
            } else if message.hasPrefix("Failed to export batch") {
                loss.add(exportFailed: count("batch_size", in: event))
            }
        }
        wrapped.log(event: event)
    }

    private func count(_ key: String, in event: LogEvent) -> Int {
        let value = event.metadata?[key] ?? wrapped.metadata[key]
        return value.flatMap { Int("\($0)") } ?? 0
    }
}
