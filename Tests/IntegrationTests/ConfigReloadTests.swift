import Foundation
import KeeperCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Config reload on SIGHUP")
struct ConfigReloadTests {
    static let allowAll = #"{"upstreams": {"sb": {"sandbox": {}}}}"#
    static let denySearch = #"{"upstreams": {"sb": {"sandbox": {}}}, "policy": {"deny": ["API-post-search"]}}"#
    static let broken = #"{"upstreams": {"sb": {"sandbox": {}}}, "policy": {"tier": "everything"}}"#

    /// The tool names of a tools/list answer.
    static func toolNames(_ reply: JSONValue) -> [String] {
        (reply["result"]?["tools"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
    }

    /// Waits until stderr has `text` `count` times.
    static func waitForLog(_ process: ProxyProcess, _ text: String, count: Int = 1, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while process.stderr.components(separatedBy: text).count - 1 < count {
            if ContinuousClock.now > deadline { throw HarnessError("no '\(text)' (×\(count)) on stderr within \(timeout): \(process.stderr)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// Reads the client's messages until `notifications/tools/list_changed` arrives.
    static func waitForListChanged(_ proxy: ProxyProcess) async throws {
        var seen: [JSONValue] = []
        while !seen.contains(where: { $0["method"] == "notifications/tools/list_changed" }) {
            seen.append(try await proxy.next(timeout: .seconds(15)))
        }
    }

    /// `serve --config --listen` with every tool allowed, and an initialized HTTP session to it.
    static func listening(_ body: (URL, ProxyProcess, MCPHTTPClient) async throws -> Void) async throws {
        let config = try temporaryDirectory().appendingPathComponent("serve.json")
        try Data(allowAll.utf8).write(to: config)
        let keyFile = try temporaryDirectory().appendingPathComponent("listener.key").path
        let proxy = try ProxyProcess(["serve", "--config", config.path, "--listen", "http://127.0.0.1:0", "--key-file", keyFile],
                                     environment: ["HOME": try temporaryDirectory().path])
        try await stopping([proxy]) {
            let url = try await proxy.listeningURL()
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            var client = MCPHTTPClient(url: url, bearerKey: key)
            try await client.initialize()
            try await body(config, proxy, client)
        }
    }

    @Test("serve --config --watch-config: saving a policy that denies a tool reloads it with no signal; --watch-config alone is refused")
    func watchedReload() async throws {
        let config = try temporaryDirectory().appendingPathComponent("serve.json")
        try Data(Self.allowAll.utf8).write(to: config)
        let proxy = try ProxyProcess(["serve", "--config", config.path, "--watch-config"],
                                     environment: ["HOME": try temporaryDirectory().path])
        try await stopping([proxy]) {
            proxy.request(1, "initialize", initializeParams)
            _ = try await proxy.response(to: 1)
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            // Saved the way editors do: a new file renamed over the old one.
            let saved = config.deletingLastPathComponent().appendingPathComponent("serve.json.new")
            try Data(Self.denySearch.utf8).write(to: saved)
            #expect(rename(saved.path, config.path) == 0)
            try await Self.waitForListChanged(proxy)
            proxy.request(2, "tools/list")
            let (after, _) = try await proxy.response(to: 2)
            #expect(!Self.toolNames(after).contains("API-post-search"), "\(after)")
            #expect(proxy.stderr.contains("the config file changed; reloading it"), "\(proxy.stderr)")
        }
        let alone = try ProxyProcess(["serve", "--watch-config"])
        #expect(await alone.waitForExit() == 64)
        #expect(alone.stderr.contains("--watch-config needs --config"), "\(alone.stderr)")
    }

    @Test("serve --config: a policy that denies a tool, reloaded by SIGHUP, hides it from the same session's next tools/list after list_changed; a broken config then changes nothing")
    func policyReload() async throws {
        let config = try temporaryDirectory().appendingPathComponent("serve.json")
        try Data(Self.allowAll.utf8).write(to: config)
        let proxy = try ProxyProcess(["serve", "--config", config.path, "--metrics", "127.0.0.1:0"],
                                     environment: ["HOME": try temporaryDirectory().path])
        try await stopping([proxy]) {
            let metrics = try await ProbeHarness.loggedURL(proxy, after: "serving metrics")
            proxy.request(1, "initialize", initializeParams)
            _ = try await proxy.response(to: 1)
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            proxy.request(2, "tools/list")
            let (before, _) = try await proxy.response(to: 2)
            #expect(Self.toolNames(before).contains("API-post-search"), "\(before)")
            #expect(ProbeHarness.sample(try await ProbeHarness.get(metrics).text, "mcpkeeper_config_reload_success") == 1)

            try Data(Self.denySearch.utf8).write(to: config)
            kill(proxy.process.processIdentifier, SIGHUP)
            try await Self.waitForListChanged(proxy)
            proxy.request(3, "tools/list")
            let (after, _) = try await proxy.response(to: 3)
            #expect(!Self.toolNames(after).contains("API-post-search"), "\(after)")
            #expect(Self.toolNames(after).contains("API-get-self"), "\(after)")
            #expect(proxy.stderr.contains("applied_now=policy"), "the log says what applied: \(proxy.stderr)")
            proxy.request(4, "tools/call", ["name": "API-post-search", "arguments": ["query": "x"]])
            let (refused, _) = try await proxy.response(to: 4)
            #expect(refused["error"]?["message"]?.stringValue?.contains("tool policy") == true, "\(refused)")

            try Data(Self.broken.utf8).write(to: config)
            kill(proxy.process.processIdentifier, SIGHUP)
            try await Self.waitForLog(proxy, "config reload refused")
            #expect(proxy.stderr.contains("policy.tier"), "the error names the JSON path: \(proxy.stderr)")
            #expect(proxy.stderr.contains("mcpkeeper config check"), "and how to check the fix: \(proxy.stderr)")
            let text = try await ProbeHarness.get(metrics).text
            #expect(ProbeHarness.sample(text, "mcpkeeper_config_reload_success") == 0, "\(text)")
            #expect(ProbeHarness.sample(text, "mcpkeeper_config_reload_timestamp_seconds") != nil, "\(text)")
            proxy.request(5, "tools/list")
            let (kept, _) = try await proxy.response(to: 5)
            #expect(!Self.toolNames(kept).contains("API-post-search"), "the old (denying) policy still applies: \(kept)")
            #expect(Self.toolNames(kept).contains("API-get-self"), "\(kept)")
            let page = try await ProbeHarness.get(try MetricsEndpointTests.endpoint(metrics, "/status")).text
            #expect(page.contains("The last config reload was refused"), "\(page)")
            proxy.closeInput()
        }
    }

    @Test("serve --config (stdio): a changed upstream entry starts the session's next link as the file now says, without cutting the open one")
    func upstreamChangeOnNextLink() async throws {
        let dir = try temporaryDirectory()
        let config = dir.appendingPathComponent("serve.json")
        let (first, second) = (dir.appendingPathComponent("first.jsonl").path, dir.appendingPathComponent("second.jsonl").path)
        func entry(_ log: String) -> String { #"{"upstreams": {"sb": {"sandbox": {"received_log": "\#(log)"}}}}"# }
        try Data(entry(first).utf8).write(to: config)
        let proxy = try ProxyProcess(["serve", "--config", config.path], environment: ["HOME": try temporaryDirectory().path])
        try await stopping([proxy]) {
            proxy.request(1, "initialize", initializeParams)
            _ = try await proxy.response(to: 1)
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            try Data(entry(second).utf8).write(to: config)
            kill(proxy.process.processIdentifier, SIGHUP)
            try await Self.waitForLog(proxy, "config reloaded")
            proxy.request(2, "tools/list")
            _ = try await proxy.response(to: 2)
            #expect(!FileManager.default.fileExists(atPath: second), "the open link is not cut by the reload")

            let pid = try #require(proxy.stderr.firstMatch(of: /proxying.*pid=(\d+)/).flatMap { Int32($0.1) }, "\(proxy.stderr)")
            kill(pid, SIGKILL)
            try await Self.waitForLog(proxy, "upstream reconnected")
            proxy.request(3, "tools/call", ["name": "API-get-self", "arguments": [:]])
            let (answer, _) = try await proxy.response(to: 3)
            #expect(answer["result"] != nil, "\(answer)")
            let secondLog = (try? String(contentsOfFile: second, encoding: .utf8)) ?? ""
            #expect(secondLog.contains("API-get-self"), "the new link runs the sandbox the reloaded file describes: \(secondLog)")
            #expect(!((try? String(contentsOfFile: first, encoding: .utf8)) ?? "").contains("API-get-self"))
            proxy.closeInput()
        }
    }

    @Test("serve --listen: a SIGHUP reload keeps the open HTTP session and applies the new policy to its next tools/list")
    func listenReload() async throws {
        try await Self.listening { config, proxy, client in
            let before = try await client.request(2, "tools/list")
            #expect(before.text.contains("API-post-search"), "\(before.text)")
            try Data(Self.denySearch.utf8).write(to: config)
            kill(proxy.process.processIdentifier, SIGHUP)
            try await Self.waitForLog(proxy, "config reloaded")
            let after = try await client.request(3, "tools/list")
            #expect(after.status == 200, "the session survived the reload: \(after.text)")
            #expect(!after.text.contains("API-post-search"), "\(after.text)")
            #expect(after.text.contains("API-get-self"), "\(after.text)")
        }
    }

    @Test("serve --listen: listener limits change in place on SIGHUP: the next request meets the lowered body limit, the open session goes on")
    func listenerLimitsReload() async throws {
        try await Self.listening { config, proxy, client in
            let padded: JSONValue = ["name": "API-post-search", "arguments": ["query": .string(String(repeating: "x", count: 100_000))]]
            let before = try await client.request(2, "tools/call", padded)
            #expect(before.status == 200, "100 KB is within the default 4 MiB: \(before.text.prefix(300))")

            try Data(#"{"upstreams": {"sb": {"sandbox": {}}}, "listener": {"max_body_bytes": 65536}}"#.utf8).write(to: config)
            kill(proxy.process.processIdentifier, SIGHUP)
            try await Self.waitForLog(proxy, "config reloaded")
            #expect(proxy.stderr.contains("applied_now=listener"), "\(proxy.stderr)")
            let refused = try await client.request(3, "tools/call", padded)
            #expect(refused.status == 413 && refused.text.contains("65536"), "\(refused.text.prefix(300))")
            let after = try await client.request(4, "tools/list")
            #expect(after.status == 200 && after.text.contains("API-get-self"), "the session survived the reload: \(after.text.prefix(300))")
        }
    }

    @Test("monitor: SIGHUP with a new target starts probing it; a broken config keeps the old targets")
    func monitorReload() async throws {
        let config = try temporaryDirectory().appendingPathComponent("monitor.json")
        try Data(#"{"upstreams": {"a": {"sandbox": {}}}, "probe": {"interval": "1s", "timeout": "10s"}}"#.utf8).write(to: config)
        let monitor = try ProxyProcess(["monitor", "--config", config.path, "--listen", "127.0.0.1:0"],
                                       environment: ["HOME": try temporaryDirectory().path])
        try await stopping([monitor]) {
            let metrics = try await ProbeHarness.loggedURL(monitor, after: "monitoring")
            try Data(#"{"upstreams": {"a": {"sandbox": {}}, "b": {"sandbox": {}}}, "probe": {"interval": "1s", "timeout": "10s"}}"#.utf8)
                .write(to: config)
            kill(monitor.process.processIdentifier, SIGHUP)
            try await Self.waitForLog(monitor, "config reloaded")
            let text = try await MetricsEndpointTests.scrape(metrics, timeout: .seconds(30)) {
                ProbeHarness.sample($0, #"mcp_probe_success{target="b"}"#) != nil
            }
            #expect(ProbeHarness.sample(text, #"mcp_probe_success{target="b"}"#) == 1, "\(text)")

            try Data(#"{"upstreams": {"a": {"sandbox": {}}}, "probe": {"interval": "soon"}}"#.utf8).write(to: config)
            kill(monitor.process.processIdentifier, SIGHUP)
            try await Self.waitForLog(monitor, "config reload refused")
            #expect(monitor.stderr.contains("probe.interval"), "\(monitor.stderr)")
            let kept = try await ProbeHarness.get(metrics).text
            #expect(ProbeHarness.sample(kept, "mcpkeeper_config_reload_success") == 0, "\(kept)")
            #expect(ProbeHarness.sample(kept, #"mcp_probe_success{target="b"}"#) != nil, "b is still a target: \(kept)")
        }
    }
}
