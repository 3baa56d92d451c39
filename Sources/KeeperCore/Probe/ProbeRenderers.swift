import Foundation

/// The three ways a probe result is reported: Nagios plugin output, JSON, Prometheus text.
public enum ProbeRenderer {
    /// One status line with perfdata, as Nagios, Icinga and cron mail expect:
    /// `MCP OK - sandbox: 18 tools, whoami API-get-self as "bot", 0.123 s | total=0.123s;2;5;0 …`.
    public static func nagios(_ result: ProbeResult, thresholds: ProbeThresholds) -> String {
        var summary = "\(result.target): "
        if let failure = result.failure {
            summary += failure
            if let hint = result.hint { summary += " — \(hint)" }
        } else {
            var parts: [String] = []
            if let count = result.toolCount { parts.append("\(count) tools") }
            if let tool = result.whoamiTool { parts.append("whoami \(tool)" + (result.identity.map { " as \"\($0)\"" } ?? "")) }
            parts.append("\(seconds(result.total)) s")
            summary += parts.joined(separator: ", ")
            if !result.warnings.isEmpty { summary += "; " + result.warnings.joined(separator: "; ") }
        }
        let warn = thresholds.warning.map(seconds) ?? ""
        let crit = thresholds.critical.map(seconds) ?? ""
        var perf = ["total=\(seconds(result.total))s;\(warn);\(crit);0"]
        for phase in ProbeResult.Phase.allCases where phase != .total {
            if let d = result.durations[phase] { perf.append("\(phase.rawValue)=\(seconds(d))s;;;0") }
        }
        if let count = result.toolCount { perf.append("tools=\(count);;;0") }
        return "MCP \(result.status.label) - \(summary) | \(perf.joined(separator: " "))"
    }

    /// One JSON object with stable field names (documented in docs/monitoring.md).
    public static func json(_ result: ProbeResult, history: ProbeHistory) -> JSONValue {
        var durations = JSONObject()
        for phase in ProbeResult.Phase.allCases {
            if let d = result.durations[phase] { durations[phase.rawValue] = .number(JSONNumber(seconds: d)) }
        }
        var object: JSONObject = [
            "target": .string(result.target),
            "status": .string(result.status.label),
            "exit_code": .number(JSONNumber(result.status.rawValue)),
            "success": .bool(result.success),
            "started_at": .string(result.startedAt.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
            "duration_seconds": .object(durations),
        ]
        object["failed_phase"] = result.failedPhase.map { .string($0.rawValue) }
        object["failure"] = result.failure.map(JSONValue.string)
        object["hint"] = result.hint.map(JSONValue.string)
        object["server"] = .object(JSONObject([
            ("name", result.serverName.map(JSONValue.string) ?? .null),
            ("version", result.serverVersion.map(JSONValue.string) ?? .null),
            ("protocol_version", result.protocolVersion.map(JSONValue.string) ?? .null),
            ("era", result.era.map { .string($0.rawValue) } ?? .null),
        ]))
        object["tools"] = result.toolCount.map { .number(JSONNumber($0)) } ?? .null
        object["tool_surface_hash"] = result.toolSurfaceHash.map(JSONValue.string) ?? .null
        object["tool_surface_changed"] = .bool(result.toolSurfaceChanged)
        object["whoami"] = .object(JSONObject([
            ("tool", result.whoamiTool.map(JSONValue.string) ?? .null),
            ("identity", result.identity.map(JSONValue.string) ?? .null),
        ]))
        object["warnings"] = .array(result.warnings.map(JSONValue.string))
        object["validation_errors"] = .array(result.validationErrors.map(JSONValue.string))
        object["consecutive_failures"] = .number(JSONNumber(history.consecutiveFailures))
        return .object(object)
    }

    /// The `mcp_probe_*` family for one target (blackbox_exporter's naming), for `/metrics`,
    /// `/probe` and node_exporter's textfile collector.
    public static func prometheus(_ result: ProbeResult, history: ProbeHistory, into text: inout PrometheusText) {
        let target = ("target", result.target)
        text.sample("mcp_probe_success", type: "gauge", help: "Whether the last probe of the MCP server succeeded (1) or not (0).",
                    labels: [target], value: result.success ? 1 : 0)
        text.sample("mcp_probe_status", type: "gauge", help: "Nagios status of the last probe: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
                    labels: [target], value: Double(result.status.rawValue))
        for phase in ProbeResult.Phase.allCases {
            guard let d = result.durations[phase] else { continue }
            text.sample("mcp_probe_duration_seconds", type: "gauge", help: "Time taken by each phase of the last probe.",
                        labels: [target, ("phase", phase.rawValue)], value: d.milliseconds / 1000)
        }
        if let count = result.toolCount {
            text.sample("mcp_probe_tools", type: "gauge", help: "Tools the server listed.", labels: [target], value: Double(count))
        }
        if result.serverName != nil || result.protocolVersion != nil {
            text.sample("mcp_probe_info", type: "gauge", help: "The server's name, version, protocol version and era (legacy or modern).",
                        labels: [target, ("server_name", result.serverName ?? ""), ("server_version", result.serverVersion ?? ""),
                                 ("protocol_version", result.protocolVersion ?? ""), ("era", result.era?.rawValue ?? "")], value: 1)
        }
        if result.whoamiTool != nil {
            text.sample("mcp_probe_whoami_success", type: "gauge", help: "Whether the whoami tool accepted the credentials.",
                        labels: [target], value: result.identity != nil ? 1 : 0)
        }
        if let last = history.lastSuccess {
            text.sample("mcp_probe_last_success_timestamp_seconds", type: "gauge", help: "When a probe last succeeded (Unix time).",
                        labels: [target], value: last.timeIntervalSince1970.rounded())
        }
        text.sample("mcp_probe_consecutive_failures", type: "gauge", help: "Failed probes in a row.",
                    labels: [target], value: Double(history.consecutiveFailures))
        text.sample("mcp_probe_tool_surface_changes_total", type: "counter", help: "Probes that found the tool names or schemas changed.",
                    labels: [target], value: Double(history.toolSurfaceChanges))
    }

    static func seconds(_ d: Duration) -> String { String(format: "%.3f", d.milliseconds / 1000) }
}

extension JSONNumber {
    /// Seconds with microsecond precision and no binary-fraction noise (`0.022045`, not `0.022045000000000002`).
    init(seconds: Duration) {
        var text = String(format: "%.6f", seconds.milliseconds / 1000)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        self.init(validatedText: text)
    }
}
