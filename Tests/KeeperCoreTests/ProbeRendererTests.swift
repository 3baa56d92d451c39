@testable import KeeperCore
import Foundation
import Testing

/// A probe result as a healthy run leaves it: every phase timed, 18 tools, whoami answered.
private func healthyResult(target: String = "sandbox") -> ProbeResult {
    var result = ProbeResult(target: target, startedAt: Date(timeIntervalSince1970: 1_700_000_000.25))
    result.success = true
    result.status = .ok
    result.durations = [.connect: .milliseconds(1), .initialize: .milliseconds(20), .toolsList: .milliseconds(5),
                        .whoami: .milliseconds(2), .total: .milliseconds(123)]
    result.serverName = "notion-sandbox"
    result.serverVersion = "1.0.0"
    result.protocolVersion = "2025-06-18"
    result.era = .legacy
    result.toolCount = 18
    result.toolSurfaceHash = "00000000000000ff"
    result.whoamiTool = "API-get-self"
    result.identity = "bot"
    return result
}

/// A probe cut short in whoami, with a hint.
private func failedResult() -> ProbeResult {
    var result = ProbeResult(target: "sandbox", startedAt: Date(timeIntervalSince1970: 1_700_000_100))
    result.success = false
    result.status = .critical
    result.durations = [.connect: .milliseconds(1), .initialize: .milliseconds(20), .total: .milliseconds(400)]
    result.failedPhase = .whoami
    result.failure = "the upstream refused the credentials: API token is invalid."
    result.hint = "check NOTION_TOKEN"
    result.whoamiTool = "API-get-self"
    return result
}

private func tool(_ name: String, schema: JSONValue = ["type": "object"]) -> JSONValue {
    ["name": .string(name), "inputSchema": schema]
}

@Suite("PrometheusText")
struct PrometheusTextTests {
    @Test("label values escape backslash, double quote and newline, and nothing else")
    func escapesLabelValues() {
        #expect(PrometheusText.escape(#"C:\temp"#) == #"C:\\temp"#)
        #expect(PrometheusText.escape(#"say "hi""#) == #"say \"hi\""#)
        #expect(PrometheusText.escape("two\nlines") == #"two\nlines"#)
        #expect(PrometheusText.escape("plain ünïcode {x=1}, 'q'") == "plain ünïcode {x=1}, 'q'")

        var text = PrometheusText()
        text.sample("m", type: "gauge", help: "h", labels: [("target", "a\\b\"c\nd")], value: 1)
        #expect(text.text == "# HELP m h\n# TYPE m gauge\n" + #"m{target="a\\b\"c\nd"} 1"# + "\n")
    }

    @Test("HELP and TYPE come once per family, before its first sample; labels keep their order")
    func helpAndTypeOncePerFamily() {
        var text = PrometheusText()
        text.sample("x_total", type: "counter", help: "Xs.", labels: [("target", "a")], value: 1)
        text.sample("x_total", type: "counter", help: "Xs.", labels: [("target", "b")], value: 2)
        text.sample("y", type: "gauge", help: "Y.", labels: [("target", "a"), ("phase", "total")], value: 0.5)
        text.sample("z", type: "gauge", help: "Z.", value: 3)
        #expect(text.text == """
        # HELP x_total Xs.
        # TYPE x_total counter
        x_total{target="a"} 1
        x_total{target="b"} 2
        # HELP y Y.
        # TYPE y gauge
        y{target="a",phase="total"} 0.5
        # HELP z Z.
        # TYPE z gauge
        z 3

        """)
    }

    @Test("values: integers without a fraction, NaN and ±Inf as the format spells them")
    func formatsValues() {
        #expect(PrometheusText.format(1) == "1")
        #expect(PrometheusText.format(0) == "0")
        #expect(PrometheusText.format(-2) == "-2")
        #expect(PrometheusText.format(0.25) == "0.25")
        #expect(PrometheusText.format(1_700_000_000) == "1700000000")
        #expect(PrometheusText.format(.nan) == "NaN")
        #expect(PrometheusText.format(.infinity) == "+Inf")
        #expect(PrometheusText.format(-.infinity) == "-Inf")
    }
}

@Suite("ProbeRenderer")
struct ProbeRendererTests {
    // MARK: Nagios

    @Test("nagios OK: tools, whoami identity, total, and perfdata with the thresholds on total")
    func nagiosOK() {
        let line = ProbeRenderer.nagios(healthyResult(), thresholds: ProbeThresholds(warning: .seconds(2), critical: .milliseconds(5500)))
        #expect(line == #"MCP OK - sandbox: 18 tools, whoami API-get-self as "bot", 0.123 s"#
                + " | total=0.123s;2.000;5.500;0 connect=0.001s;;;0 initialize=0.020s;;;0 tools_list=0.005s;;;0 whoami=0.002s;;;0 tools=18;;;0")
    }

    @Test("nagios without thresholds leaves their perfdata fields empty")
    func nagiosNoThresholds() {
        let line = ProbeRenderer.nagios(healthyResult(), thresholds: ProbeThresholds())
        #expect(line.contains("| total=0.123s;;;0 connect="), "\(line)")
    }

    @Test("nagios WARNING: the warnings follow the summary; no identity when whoami did not say")
    func nagiosWarning() {
        var result = healthyResult()
        result.status = .warning
        result.identity = nil
        result.warnings = ["API-get-self was rate limited", "the tool surface changed since the last probe"]
        let line = ProbeRenderer.nagios(result, thresholds: ProbeThresholds(warning: .milliseconds(100)))
        #expect(line.hasPrefix("MCP WARNING - sandbox: 18 tools, whoami API-get-self, 0.123 s; API-get-self was rate limited; "
                               + "the tool surface changed since the last probe | total=0.123s;0.100;;0 "), "\(line)")
    }

    @Test("nagios CRITICAL: the failure and its hint instead of the summary; perfdata for the phases that ran")
    func nagiosCritical() {
        let line = ProbeRenderer.nagios(failedResult(), thresholds: ProbeThresholds(critical: .seconds(5)))
        #expect(line == "MCP CRITICAL - sandbox: the upstream refused the credentials: API token is invalid. — check NOTION_TOKEN"
                + " | total=0.400s;;5.000;0 connect=0.001s;;;0 initialize=0.020s;;;0")
    }

    @Test("nagios UNKNOWN label and a failure without a hint")
    func nagiosUnknownLabel() {
        var result = failedResult()
        result.status = .unknown
        result.hint = nil
        let line = ProbeRenderer.nagios(result, thresholds: ProbeThresholds())
        #expect(line.hasPrefix("MCP UNKNOWN - sandbox: the upstream refused the credentials: API token is invalid. | total=0.400s;;;0"), "\(line)")
        #expect(!line.contains(" — "))
    }

    // MARK: JSON

    @Test("json: stable field names and values for a healthy probe; no failure fields")
    func jsonHealthy() throws {
        var history = ProbeHistory()
        history.record(healthyResult())
        let json = ProbeRenderer.json(healthyResult(), history: history)
        let keys = try #require(json.objectValue?.keys)
        #expect(Set(keys) == ["target", "status", "exit_code", "success", "started_at", "duration_seconds", "server", "tools",
                              "tool_surface_hash", "tool_surface_changed", "whoami", "warnings", "validation_errors", "consecutive_failures"])
        #expect(keys.first == "target")
        #expect(json["target"] == "sandbox")
        #expect(json["status"] == "OK")
        #expect(json["exit_code"] == 0)
        #expect(json["success"] == true)
        #expect(json["started_at"] == "2023-11-14T22:13:20.250Z")
        let seconds = ["connect": 0.001, "initialize": 0.02, "tools_list": 0.005, "whoami": 0.002, "total": 0.123]
        for (phase, value) in seconds {
            #expect(json["duration_seconds"]?[phase]?.doubleValue == value, "\(phase)")
        }
        #expect(json["duration_seconds"]?["initialize"]?.serialized() == "0.02")
        #expect(json["duration_seconds"]?.objectValue?.keys == ["connect", "initialize", "tools_list", "whoami", "total"])
        #expect(json["server"] == ["name": "notion-sandbox", "version": "1.0.0", "protocol_version": "2025-06-18", "era": "legacy"])
        #expect(json["tools"] == 18)
        #expect(json["tool_surface_hash"] == "00000000000000ff")
        #expect(json["tool_surface_changed"] == false)
        #expect(json["whoami"] == ["tool": "API-get-self", "identity": "bot"])
        #expect(json["warnings"] == [])
        #expect(json["validation_errors"] == [])
        #expect(json["consecutive_failures"] == 0)
    }

    @Test("json: a failure adds failed_phase, failure and hint; what is unknown is null")
    func jsonFailed() throws {
        var history = ProbeHistory()
        history.record(failedResult())
        history.record(failedResult())
        let json = ProbeRenderer.json(failedResult(), history: history)
        #expect(json["status"] == "CRITICAL")
        #expect(json["exit_code"] == 2)
        #expect(json["success"] == false)
        #expect(json["failed_phase"] == "whoami")
        #expect(json["failure"] == "the upstream refused the credentials: API token is invalid.")
        #expect(json["hint"] == "check NOTION_TOKEN")
        #expect(json["tools"] == .null)
        #expect(json["tool_surface_hash"] == .null)
        #expect(json["server"] == ["name": nil, "version": nil, "protocol_version": nil, "era": nil])
        #expect(json["whoami"] == ["tool": "API-get-self", "identity": nil])
        #expect(json["duration_seconds"]?.objectValue?.keys == ["connect", "initialize", "total"])
        #expect(json["consecutive_failures"] == 2)
    }

    @Test("json seconds carry no binary-fraction noise")
    func jsonSeconds() {
        #expect(JSONValue.number(JSONNumber(seconds: .microseconds(22_045))).serialized() == "0.022045")
        #expect(JSONValue.number(JSONNumber(seconds: .seconds(2))).serialized() == "2")
        #expect(JSONValue.number(JSONNumber(seconds: .zero)).serialized() == "0")
    }

    // MARK: Prometheus

    @Test("prometheus: the mcp_probe_* family for one target, with history")
    func prometheusHealthy() {
        var history = ProbeHistory()
        history.record(healthyResult())
        var text = PrometheusText()
        ProbeRenderer.prometheus(healthyResult(), history: history, into: &text)
        let samples = text.text.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(samples == [
            #"mcp_probe_success{target="sandbox"} 1"#,
            #"mcp_probe_status{target="sandbox"} 0"#,
            #"mcp_probe_duration_seconds{target="sandbox",phase="connect"} 0.001"#,
            #"mcp_probe_duration_seconds{target="sandbox",phase="initialize"} 0.02"#,
            #"mcp_probe_duration_seconds{target="sandbox",phase="tools_list"} 0.005"#,
            #"mcp_probe_duration_seconds{target="sandbox",phase="whoami"} 0.002"#,
            #"mcp_probe_duration_seconds{target="sandbox",phase="total"} 0.123"#,
            #"mcp_probe_tools{target="sandbox"} 18"#,
            #"mcp_probe_info{target="sandbox",server_name="notion-sandbox",server_version="1.0.0",protocol_version="2025-06-18",era="legacy"} 1"#,
            #"mcp_probe_whoami_success{target="sandbox"} 1"#,
            #"mcp_probe_last_success_timestamp_seconds{target="sandbox"} 1700000000"#,
            #"mcp_probe_consecutive_failures{target="sandbox"} 0"#,
            #"mcp_probe_tool_surface_changes_total{target="sandbox"} 0"#,
        ])
        #expect(text.text.contains("# TYPE mcp_probe_tool_surface_changes_total counter\n"))
        #expect(text.text.contains("# TYPE mcp_probe_success gauge\n"))
    }

    @Test("prometheus: a failure is success 0, status 2, whoami_success 0, no tools or last-success sample")
    func prometheusFailed() {
        var history = ProbeHistory()
        history.record(failedResult())
        var text = PrometheusText()
        ProbeRenderer.prometheus(failedResult(), history: history, into: &text)
        #expect(text.text.contains(#"mcp_probe_success{target="sandbox"} 0"#))
        #expect(text.text.contains(#"mcp_probe_status{target="sandbox"} 2"#))
        #expect(text.text.contains(#"mcp_probe_whoami_success{target="sandbox"} 0"#))
        #expect(text.text.contains(#"mcp_probe_consecutive_failures{target="sandbox"} 1"#))
        #expect(!text.text.contains("mcp_probe_tools{"))
        #expect(!text.text.contains("mcp_probe_info{"))
        #expect(!text.text.contains("mcp_probe_last_success_timestamp_seconds{"))
        #expect(!text.text.contains(#"phase="whoami""#))
    }

    @Test("prometheus: a target name with quotes and backslashes is escaped in every label")
    func prometheusEscapesTarget() {
        var text = PrometheusText()
        ProbeRenderer.prometheus(healthyResult(target: #"we"ird\name"#), history: ProbeHistory(), into: &text)
        #expect(text.text.contains(#"mcp_probe_success{target="we\"ird\\name"} 1"#), "\(text.text)")
        #expect(!text.text.contains(#"target="we"ird"#))
    }
}

@Suite("ProbeHistory")
struct ProbeHistoryTests {
    @Test("record: successes reset failures in a row and stamp the last success; surface changes count; a hash survives failures")
    func record() {
        var history = ProbeHistory()
        history.record(healthyResult())
        #expect(history.consecutiveFailures == 0)
        #expect(history.lastSuccess == Date(timeIntervalSince1970: 1_700_000_000.25))
        #expect(history.toolSurfaceHash == "00000000000000ff")

        history.record(failedResult())
        history.record(failedResult())
        #expect(history.consecutiveFailures == 2)
        #expect(history.lastSuccess == Date(timeIntervalSince1970: 1_700_000_000.25), "a failure keeps the last success")
        #expect(history.toolSurfaceHash == "00000000000000ff", "a failure without a hash keeps the last one")

        var changed = healthyResult()
        changed.toolSurfaceHash = "0000000000000100"
        changed.toolSurfaceChanged = true
        changed.startedAt = Date(timeIntervalSince1970: 1_700_000_500)
        history.record(changed)
        #expect(history.consecutiveFailures == 0)
        #expect(history.toolSurfaceChanges == 1)
        #expect(history.toolSurfaceHash == "0000000000000100")
        #expect(history.lastSuccess == Date(timeIntervalSince1970: 1_700_000_500))
    }

    @Test("json round trip, and through a 0600 file; a missing or broken file is a fresh start")
    func roundTrip() throws {
        var history = ProbeHistory()
        history.record(healthyResult())
        var changed = failedResult()
        changed.toolSurfaceChanged = true
        history.record(changed)
        #expect(ProbeHistory(json: history.json) == history)
        #expect(ProbeHistory(json: ProbeHistory().json) == ProbeHistory())
        #expect(history.json["consecutive_failures"] == 1)
        #expect(history.json["tool_surface_changes"] == 1)
        #expect(history.json["tool_surface_hash"] == "00000000000000ff")
        #expect(history.json["last_success"]?.doubleValue == 1_700_000_000.25)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("probe-history-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("probes/target.json").path
        #expect(ProbeHistory.load(from: path) == ProbeHistory())
        try history.save(to: path)
        #expect(ProbeHistory.load(from: path) == history)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600, "mode \(String(mode, radix: 8))")
        try Data("not json".utf8).write(to: URL(fileURLWithPath: path))
        #expect(ProbeHistory.load(from: path) == ProbeHistory())
    }
}

@Suite("ToolSurface")
struct ToolSurfaceTests {
    @Test("hash: 16 hex digits, the same whatever order the tools are listed in")
    func orderIndependent() {
        let tools = [tool("alpha"), tool("beta", schema: ["type": "object", "properties": ["q": ["type": "string"]]]), tool("gamma")]
        let hash = ToolSurface.hash(tools)
        #expect(hash.count == 16)
        #expect(hash.allSatisfy { $0.isHexDigit && !$0.isUppercase })
        #expect(ToolSurface.hash(tools.reversed()) == hash)
        #expect(ToolSurface.hash([tools[1], tools[2], tools[0]]) == hash)
        #expect(ToolSurface.hash([]) == ToolSurface.hash([]))
        #expect(ToolSurface.hash([]) != hash)
    }

    @Test("hash changes when a schema changes, a tool is added or removed, or a tool is renamed")
    func changesWithSurface() {
        let tools = [tool("alpha"), tool("beta", schema: ["type": "object", "properties": ["q": ["type": "string"]]])]
        let hash = ToolSurface.hash(tools)
        #expect(ToolSurface.hash([tool("alpha"), tool("beta", schema: ["type": "object", "properties": ["q": ["type": "integer"]]])]) != hash)
        #expect(ToolSurface.hash([tool("alpha"), tool("beta", schema: ["type": "object", "required": ["q"],
                                                                      "properties": ["q": ["type": "string"]]])]) != hash)
        #expect(ToolSurface.hash(tools + [tool("gamma")]) != hash)
        #expect(ToolSurface.hash([tools[0]]) != hash)
        #expect(ToolSurface.hash([tool("alpha2"), tools[1]]) != hash)
        // Moving a byte between tools changes it too (the separator keeps tool boundaries).
        #expect(ToolSurface.hash([tool("ab"), tool("c")]) != ToolSurface.hash([tool("a"), tool("bc")]))
    }

    @Test("whoami: the design's preference order, whatever order the tools are listed in")
    func whoamiPreference() {
        var names = ["whoami", "get-self", "users_me", "notion.whoami", "API-get-self", "notion-get-self", "search"]
        for expected in ["notion-get-self", "API-get-self", "notion.whoami", "users_me", "get-self", "whoami"] {
            #expect(ToolSurface.whoami(among: names) == expected, "\(names)")
            #expect(ToolSurface.whoami(among: names.reversed()) == expected, "\(names)")
            names.removeAll { $0 == expected }
        }
        #expect(ToolSurface.whoami(among: names) == nil)
        #expect(ToolSurface.whoami(among: []) == nil)
        #expect(ToolSurface.whoami(among: ["WhoAmI", "Get_Self"]) == nil, "names match exactly")
        #expect(Array(ToolSurface.whoamiCandidates.prefix(6)) == ["notion-get-self", "API-get-self", "notion.whoami", "users_me", "get-self", "whoami"])
    }

    @Test("whoami: third-party servers' spellings are known by name", arguments: ["get_self", "get-me", "get_me", "users-me", "notion_get_self", "get_current_user"])
    func whoamiThirdPartyNames(name: String) {
        #expect(ToolSurface.whoami(among: ["search", name, "get_users"]) == name)
    }

    @Test("whoami: a read-only tool about the current user with no required argument is found by its shape")
    func whoamiByShape() {
        func tool(_ name: String, _ description: String, required: [JSONValue] = [], annotations: JSONValue? = nil) -> JSONValue {
            var object: JSONObject = ["name": .string(name), "description": .string(description),
                                      "inputSchema": ["type": "object", "required": .array(required)]]
            object["annotations"] = annotations
            return .object(object)
        }
        let users = tool("list_people", "List all users in the workspace.")
        let oneUser = tool("fetch_person", "Retrieve the current user by id.", required: ["user_id"])
        let me = tool("fetch_token_owner", "Retrieve the bot user associated with the current API token.")
        #expect(ToolSurface.whoami(in: [users, oneUser, me]) == "fetch_token_owner")
        #expect(ToolSurface.whoami(in: [tool("read_me", "Anything.")]) == "read_me", "a name with the word me")
        #expect(ToolSurface.whoami(in: [users, oneUser]) == nil, "no required-argument-free tool about the current user")
        let writing = tool("update_me", "Update the current user.", annotations: ["readOnlyHint": false])
        #expect(ToolSurface.whoami(in: [writing]) == nil, "a tool that writes is never the whoami")
        #expect(ToolSurface.whoami(in: [me, tool("get_self", "x")]) == "get_self", "a known name wins over a shape")
    }

    @Test("whoami arguments: required ones with a single possible value are filled, others make the tool unusable")
    func whoamiArguments() {
        let versioned: JSONValue = ["name": "get_self", "inputSchema": [
            "type": "object", "required": ["Notion-Version", "format"],
            "properties": ["Notion-Version": ["const": "2026-03-11"], "format": ["enum": ["json"]], "verbose": ["type": "boolean"]]]]
        #expect(WhoamiArguments.fill(versioned) == ["Notion-Version": "2026-03-11", "format": "json"])
        #expect(WhoamiArguments.fill("get_self", among: [versioned]) == ["Notion-Version": "2026-03-11", "format": "json"])
        let open: JSONValue = ["name": "get_user", "inputSchema": ["type": "object", "required": ["user_id"], "properties": ["user_id": ["type": "string"]]]]
        #expect(WhoamiArguments.fill(open) == nil)
        #expect(WhoamiArguments.fill("get_user", among: [open]) == [:], "the server is left to say what is missing")
        #expect(WhoamiArguments.fill("unlisted", among: [versioned]) == [:])
        let described: JSONValue = ["name": "fetch_token_owner", "description": "Retrieve the bot user associated with the current API token.",
                                    "inputSchema": ["type": "object", "required": ["v"], "properties": ["v": ["default": "1"]]]]
        #expect(ToolSurface.whoami(in: [described]) == "fetch_token_owner", "a fillable required argument does not hide a whoami")
    }

    @Test("the warning for a missing whoami names the config key and the --whoami flag")
    func noWhoamiWarning() {
        let warning = ToolSurface.noWhoamiWarning(toolCount: 3)
        #expect(warning.contains("\"whoami\""))
        #expect(warning.contains("--whoami"))
        #expect(warning.contains("3"))
    }
}
