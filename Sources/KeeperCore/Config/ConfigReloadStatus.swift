import Foundation
import Synchronization

/// How the last config reload went, for `/metrics` (`mcpkeeper_config_reload_success`,
/// `mcpkeeper_config_reload_timestamp_seconds`) and the status page. Loading at start counts as
/// the first successful reload, so both series exist from the first scrape.
public final class ConfigReloadStatus: Sendable {
    private let state: Mutex<(success: Bool, at: Date, error: String?)>

    public init(startedAt: Date = Date()) { state = Mutex((true, startedAt, nil)) }

    public func succeeded(at date: Date = Date()) { state.withLock { $0 = (true, date, nil) } }

    public func failed(_ error: String, at date: Date = Date()) { state.withLock { $0 = (false, date, error) } }

    public var exposition: String {
        let (success, date, _) = state.withLock { $0 }
        var text = PrometheusText()
        text.sample("mcpkeeper_config_reload_success", type: "gauge",
                    help: "Whether the last config load or reload (SIGHUP) succeeded (1) or was refused, keeping the old config (0).",
                    labels: [], value: success ? 1 : 0)
        text.sample("mcpkeeper_config_reload_timestamp_seconds", type: "gauge", help: "When the config was last loaded or a reload attempted (Unix time).",
                    labels: [], value: date.timeIntervalSince1970.rounded())
        return text.text
    }

    /// For the status page while the running config is not the file's: what was wrong with the file.
    public var notice: String? {
        state.withLock { $0.error }.map { "The last config reload was refused; running on the previous config. \($0)" }
    }
}
