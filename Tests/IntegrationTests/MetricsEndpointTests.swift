import Foundation
import KeeperCore
import Testing

@Suite("Metrics endpoints: monitor's /metrics, /probe and /healthz; serve --metrics")
struct MetricsEndpointTests {
    // MARK: monitor

    /// Runs `body` against `mcpkeeper monitor` probing two sandbox targets, a and b, every second;
    /// the URL passed is the `/metrics` one from the `monitoring url=` line.
    static func withMonitor(_ body: (ProxyProcess, URL) async throws -> Void) async throws {
        let config = try temporaryDirectory().appendingPathComponent("monitor.json")
        try Data(#"""
        {"upstreams": {"a": {"sandbox": {}}, "b": {"sandbox": {}}}, "probe": {"interval": "1s", "timeout": "5s"}}
        """#.utf8).write(to: config)
        let monitor = try ProxyProcess(["monitor", "--config", config.path, "--listen", "127.0.0.1:0"],
                                       environment: ["HOME": try temporaryDirectory().path])
        try await stopping([monitor]) {
            let url = try await ProbeHarness.loggedURL(monitor, after: "monitoring")
            #expect(url.path == "/metrics")
            #expect(url.host == "127.0.0.1")
            try await body(monitor, url)
        }
    }

    /// `path` (with an optional query) on the server that serves `metrics`.
    static func endpoint(_ metrics: URL, _ pathAndQuery: String) throws -> URL {
        var components = try #require(URLComponents(url: metrics, resolvingAgainstBaseURL: false))
        let parts = pathAndQuery.split(separator: "?", maxSplits: 1)
        components.path = String(parts[0])
        components.query = parts.count > 1 ? String(parts[1]) : nil
        return try #require(components.url)
    }

    /// Scrapes `url` until `condition` holds on the body (or `timeout` passes); the last body.
    static func scrape(_ url: URL, timeout: Duration = .seconds(6), until condition: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let reply = try await ProbeHarness.get(url)
            #expect(reply.status == 200, "\(reply.text)")
            if condition(reply.text) || ContinuousClock.now > deadline { return reply.text }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    static func bothProbed(_ text: String) -> Bool {
        ProbeHarness.sample(text, #"mcp_probe_success{target="a"}"#) != nil && ProbeHarness.sample(text, #"mcp_probe_success{target="b"}"#) != nil
    }

    @Test("monitor: /healthz is 200 ok, and /metrics soon has mcp_probe_success 1 for both targets")
    func monitorHealthAndMetrics() async throws {
        try await Self.withMonitor { _, metrics in
            let health = try await ProbeHarness.get(try Self.endpoint(metrics, "/healthz"))
            #expect(health.status == 200)
            #expect(health.text.trimmingCharacters(in: .whitespacesAndNewlines) == "ok")

            let text = try await Self.scrape(metrics, until: Self.bothProbed)
            #expect(ProbeHarness.sample(text, #"mcp_probe_success{target="a"}"#) == 1, "\(text)")
            #expect(ProbeHarness.sample(text, #"mcp_probe_success{target="b"}"#) == 1, "\(text)")
            #expect(ProbeHarness.sample(text, #"mcp_probe_tools{target="a"}"#) == 18, "\(text)")
            #expect(ProbeHarness.sample(text, #"mcp_probe_duration_seconds{target="b",phase="total"}"#) != nil, "\(text)")
            #expect(text.components(separatedBy: "# TYPE mcp_probe_success gauge").count == 2, "TYPE once per family: \(text)")
            let reply = try await ProbeHarness.get(metrics)
            #expect(reply.contentType.hasPrefix("text/plain; version=0.0.4"), "\(reply.headers)")
        }
    }

    @Test("monitor: /metrics keeps each family's samples in one group, as the text format requires")
    func monitorMetricsGroupsFamilies() async throws {
        try await Self.withMonitor { _, metrics in
            let text = try await Self.scrape(metrics, until: Self.bothProbed)
            #expect(Self.bothProbed(text), "\(text)")
            #expect(ProbeHarness.scatteredFamilies(text) == [], "samples of one family split by others' (target b after all of a's):\n\(text)")
        }
    }

    @Test("monitor: /probe?target=a probes a now and returns only a's metrics")
    func monitorProbeOneTarget() async throws {
        try await Self.withMonitor { _, metrics in
            let reply = try await ProbeHarness.get(try Self.endpoint(metrics, "/probe?target=a"))
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.contentType.hasPrefix("text/plain; version=0.0.4"), "\(reply.headers)")
            #expect(ProbeHarness.sample(reply.text, #"mcp_probe_success{target="a"}"#) == 1, "\(reply.text)")
            #expect(ProbeHarness.sample(reply.text, #"mcp_probe_duration_seconds{target="a",phase="whoami"}"#) != nil, "\(reply.text)")
            #expect(!reply.text.contains(#"target="b""#), "\(reply.text)")
            for line in reply.text.split(separator: "\n") where !line.hasPrefix("#") {
                #expect(line.contains(#"{target="a""#), "\(line)")
            }
        }
    }

    @Test("monitor: /probe?target=nope is 404 with a sentence; /probe without a target is 400")
    func monitorProbeRefusals() async throws {
        try await Self.withMonitor { _, metrics in
            let unknown = try await ProbeHarness.get(try Self.endpoint(metrics, "/probe?target=nope"))
            #expect(unknown.status == 404)
            #expect(unknown.text.contains(#"unknown target "nope""#), "\(unknown.text)")
            #expect(unknown.text.contains("upstream in the config"), "\(unknown.text)")
            let missing = try await ProbeHarness.get(try Self.endpoint(metrics, "/probe"))
            #expect(missing.status == 400)
            #expect(missing.text.contains("?target="), "\(missing.text)")
        }
    }

    @Test("monitor: an upstream that cannot be started (its token variable unset) is a target reported UNKNOWN, success 0")
    func monitorUnavailableTarget() async throws {
        let config = try temporaryDirectory().appendingPathComponent("monitor.json")
        try Data(#"""
        {"upstreams": {"a": {"sandbox": {}}, "tokenless": {"command": "npx", "notion_token_env": "MCPKEEPER_TEST_UNSET_TOKEN"}},
         "probe": {"interval": "1s", "timeout": "5s"}}
        """#.utf8).write(to: config)
        let monitor = try ProxyProcess(["monitor", "--config", config.path, "--listen", "127.0.0.1:0"],
                                       environment: ["HOME": try temporaryDirectory().path])
        try await stopping([monitor]) {
            let metrics = try await ProbeHarness.loggedURL(monitor, after: "monitoring")
            let probe = try await ProbeHarness.get(try Self.endpoint(metrics, "/probe?target=tokenless"))
            #expect(probe.status == 200, "\(probe.text)")
            #expect(ProbeHarness.sample(probe.text, #"mcp_probe_success{target="tokenless"}"#) == 0, "\(probe.text)")
            #expect(ProbeHarness.sample(probe.text, #"mcp_probe_status{target="tokenless"}"#) == 3, "\(probe.text)")
            let text = try await Self.scrape(metrics) { ProbeHarness.sample($0, #"mcp_probe_success{target="a"}"#) != nil }
            #expect(ProbeHarness.sample(text, #"mcp_probe_success{target="a"}"#) == 1, "\(text)")
            #expect(ProbeHarness.sample(text, #"mcp_probe_status{target="tokenless"}"#) == 3, "\(text)")
        }
    }

    @Test("monitor: promtool check metrics accepts /metrics and /probe output",
          .enabled(if: ProbeHarness.promtoolEnabled, ProbeHarness.promtoolSkipReason))
    func monitorPromtool() async throws {
        try await Self.withMonitor { _, metrics in
            let text = try await Self.scrape(metrics, until: Self.bothProbed)
            #expect(Self.bothProbed(text), "\(text)")
            try ProbeHarness.expectPromtoolAccepts(text)
            let probe = try await ProbeHarness.get(try Self.endpoint(metrics, "/probe?target=b"))
            try ProbeHarness.expectPromtoolAccepts(probe.text)
        }
    }

    // MARK: serve --metrics

    /// Runs `body` against `serve --metrics 127.0.0.1:0 OPTIONS -- mcpkeeper sandbox`, after an
    /// initialize and two tools/call over stdio; the URL is the one `serving metrics url=` names.
    static func withServe(_ options: [String] = [], _ body: (ProxyProcess, URL) async throws -> Void) async throws {
        let proxy = try ProxyProcess(["serve", "--metrics", "127.0.0.1:0"] + options + ProbeHarness.sandbox(),
                                     environment: ["HOME": try temporaryDirectory().path])
        try await stopping([proxy]) {
            let url = try await ProbeHarness.loggedURL(proxy, after: "serving metrics")
            #expect(url.path == "/metrics")
            proxy.request(1, "initialize", initializeParams)
            let (initialized, _) = try await proxy.response(to: 1)
            #expect(initialized["result"]?["serverInfo"]?["name"] == "notion-sandbox")
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            for id in 2...3 {
                proxy.request(id, "tools/call", ["name": "API-get-self", "arguments": [:]])
                let (reply, _) = try await proxy.response(to: .number(JSONNumber(id)))
                #expect(try toolResultText(reply)["type"] == "bot")
            }
            try await body(proxy, url)
            proxy.closeInput()
        }
    }

    static let callsOK = #"mcpkeeper_requests_total{upstream="mcpkeeper",method="tools/call",outcome="ok"}"#

    @Test("serve --metrics: thousands of invented method names add one series (method=\"other\"), not thousands")
    func inventedMethodsStayBounded() async throws {
        try await Self.withServe { proxy, metrics in
            let before = try await ProbeHarness.get(metrics).text.utf8.count
            for id in 100..<3100 { proxy.request(id, "x/invented-\(id)") }
            _ = try await proxy.response(to: 3099, timeout: .seconds(30))
            let text = try await Self.scrape(metrics) { (ProbeHarness.sample($0, #"mcpkeeper_requests_total{upstream="mcpkeeper",method="other",outcome="error"}"#) ?? 0) >= 3000 }
            #expect(!text.contains("x/invented"), "a client-chosen method reached a label")
            #expect(text.utf8.count < before + 4096, "/metrics grew from \(before) to \(text.utf8.count) bytes")
        }
    }

    @Test("serve --metrics: request counter, duration histogram, upstream_up and sessions_active after two tools/call")
    func serveMetrics() async throws {
        try await Self.withServe { _, metrics in
            let text = try await Self.scrape(metrics) { (ProbeHarness.sample($0, Self.callsOK) ?? 0) >= 2 }
            #expect((ProbeHarness.sample(text, Self.callsOK) ?? 0) >= 2, "\(text)")
            #expect(text.contains("# TYPE mcpkeeper_request_duration_seconds histogram"), "\(text)")
            let series = #"mcpkeeper_request_duration_seconds_bucket{upstream="mcpkeeper",method="tools/call",le="#
            for bound in ["0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "10.0", "30.0"] {
                #expect(ProbeHarness.sample(text, series + "\"\(bound)\"}") != nil, "bucket le=\(bound) missing: \(text)")
            }
            #expect((ProbeHarness.sample(text, series + "\"+Inf\"}") ?? 0) >= 2, "\(text)")
            #expect((ProbeHarness.sample(text, #"mcpkeeper_request_duration_seconds_count{upstream="mcpkeeper",method="tools/call"}"#) ?? 0) >= 2,
                    "\(text)")
            #expect(ProbeHarness.sample(text, #"mcpkeeper_request_duration_seconds_sum{upstream="mcpkeeper",method="tools/call"}"#) != nil,
                    "\(text)")
            #expect(ProbeHarness.sample(text, #"mcpkeeper_upstream_up{upstream="mcpkeeper"}"#) == 1, "\(text)")
            #expect(ProbeHarness.sample(text, #"mcpkeeper_sessions_active{upstream="mcpkeeper"}"#) == 1, "\(text)")
            #expect(!text.contains("mcp_probe_success"), "no live probe without --probe-interval: \(text)")
            let health = try await ProbeHarness.get(try Self.endpoint(metrics, "/healthz"))
            #expect(health.status == 200)
        }
    }

    @Test("serve --metrics --probe-interval 200ms: /metrics also gains mcp_probe_success for the upstream")
    func serveLiveProbe() async throws {
        try await Self.withServe(["--probe-interval", "200ms"]) { _, metrics in
            let probed = #"mcp_probe_success{target="mcpkeeper"}"#
            let text = try await Self.scrape(metrics) { ProbeHarness.sample($0, probed) != nil && ProbeHarness.sample($0, Self.callsOK) != nil }
            #expect(ProbeHarness.sample(text, probed) == 1, "\(text)")
            #expect(ProbeHarness.sample(text, #"mcp_probe_tools{target="mcpkeeper"}"#) == 18, "\(text)")
            #expect(ProbeHarness.sample(text, #"mcp_probe_duration_seconds{target="mcpkeeper",phase="tools_list"}"#) != nil, "\(text)")
            #expect((ProbeHarness.sample(text, Self.callsOK) ?? 0) >= 2, "\(text)")
        }
    }

    @Test("serve --metrics --probe-interval with a bad duration refuses to start, naming the flag")
    func serveBadProbeInterval() async throws {
        let proxy = try ProxyProcess(["serve", "--metrics", "127.0.0.1:0", "--probe-interval", "soon"] + ProbeHarness.sandbox(),
                                     environment: ["HOME": try temporaryDirectory().path])
        try await stopping([proxy]) {
            // A refusal is immediate; the bound only has to outlast a process start on a loaded machine.
            let status = await proxy.waitForExit(timeout: .seconds(30))
            #expect(status != nil && status != 0, "still running (or exit 0) with --probe-interval soon: the live probe is silently off\n\(proxy.stderr)")
            #expect(proxy.stderr.contains("--probe-interval"), "\(proxy.stderr)")
        }
    }

    @Test("serve --listen --metrics --probe-interval 200ms: /metrics gains mcp_probe_success once a session is open")
    func serveListenLiveProbe() async throws {
        let keyFile = try temporaryDirectory().appendingPathComponent("listener.key").path
        let proxy = try ProxyProcess(["serve", "--listen", "http://127.0.0.1:0", "--key-file", keyFile, "--metrics", "127.0.0.1:0",
                                      "--probe-interval", "200ms"] + ProbeHarness.sandbox(),
                                     environment: ["HOME": try temporaryDirectory().path])
        try await stopping([proxy]) {
            let url = try await proxy.listeningURL()
            let metrics = try await ProbeHarness.loggedURL(proxy, after: "serving metrics")
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            var client = MCPHTTPClient(url: url, bearerKey: key)
            try await client.initialize()
            let call = try await client.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
            #expect(call.status == 200, "\(call.text)")
            let text = try await Self.scrape(metrics, timeout: .seconds(3)) { $0.contains("mcp_probe_success") }
            #expect(text.contains("mcp_probe_success{"), "--probe-interval is ignored with --listen:\n\(text)")
        }
    }

    @Test("serve --metrics: promtool check metrics accepts /metrics (proxy counters and live probe)",
          .enabled(if: ProbeHarness.promtoolEnabled, ProbeHarness.promtoolSkipReason))
    func servePromtool() async throws {
        try await Self.withServe(["--probe-interval", "200ms"]) { _, metrics in
            let text = try await Self.scrape(metrics) { $0.contains("mcp_probe_success") && ProbeHarness.sample($0, Self.callsOK) != nil }
            #expect(text.contains("mcp_probe_success"), "\(text)")
            try ProbeHarness.expectPromtoolAccepts(text)
        }
    }
}
