import Foundation
import Logging

/// swift-log handler writing one line per event to `StandardError` (never stdout, which carries protocol).
///
/// Format: `2026-11-24T20:53:01Z warning mcpkeeper: message key=value …`, metadata sorted by key.
public struct StderrLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let sink: StandardError

    public init(label: String, level: Logger.Level = .info, sink: StandardError = .shared) {
        self.label = label
        self.logLevel = level
        self.sink = sink
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let extra = event.metadata { merged.merge(extra) { $1 } }
        var line = "\(Date.now.formatted(.iso8601)) \(event.level) \(label): \(event.message)"
        for (key, value) in merged.sorted(by: { $0.key < $1.key }) {
            line += " \(key)=\(value)"
        }
        line += "\n"
        sink.write(line)
    }
}
