import Foundation
import KeeperCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("resilience: retries, reconnects and writes that are never doubled")
struct ResilienceTests {
    /// A config whose only upstream is the sandbox with `options`, retrying fast (tests must not wait
    /// for real-world backoff) with a generous budget (the faults here are far denser than real ones).
    static func config(sandbox options: String, extra: String = "") throws -> URL {
        let file = try temporaryDirectory().appendingPathComponent("config.json")
        let text = """
        {"upstreams": {"sandbox": {"sandbox": {\(options)}}},
         "retry": {"max_attempts": 8, "base_delay": "5ms", "max_delay": "100ms", "deadline": "20s", "budget_ratio": 1.0}\(extra)}
        """
        try Data(text.utf8).write(to: file)
        return file
    }

    static func initialized(_ proxy: ProxyProcess) async throws {
        proxy.request(1, "initialize", initializeParams)
        _ = try await proxy.response(to: 1)
        proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
    }

    @Test("with 30% of calls rate-limited inside the tool result, every call succeeds and the retries are logged")
    func rateLimitedCallsSucceed() async throws {
        let log = try temporaryDirectory().appendingPathComponent("requests.jsonl").path
        let config = try Self.config(sandbox: #""rate_limit_ratio": 0.3, "retry_after": "10ms", "seed": 7"#)
        let proxy = try ProxyProcess(["serve", "--config", config.path, "--log", log])
        try await Self.initialized(proxy)
        for id in 2...31 {
            proxy.request(id, "tools/call", ["name": "API-get-self", "arguments": [:]])
            let (reply, _) = try await proxy.response(to: .number(JSONNumber(id)))
            let text = reply["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.contains("\"bot\""), "call \(id): \(reply)")
        }
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        let entries = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        let calls = entries.filter { $0["tool"] == "API-get-self" }
        #expect(calls.count == 30)
        let retried = calls.filter { ($0["attempts"]?.intValue ?? 1) > 1 }
        #expect(retried.count >= 4, "about 30% of 30 calls should have needed a retry")
        #expect(retried.allSatisfy { ($0["retry_wait_ms"]?.doubleValue ?? 0) > 0 })
        #expect(calls.allSatisfy { $0["outcome"] == "ok" })
    }

    @Test("a child killed mid-call is restarted and the client's session goes on, the read re-sent")
    func childKilledMidCall() async throws {
        let config = try Self.config(sandbox: #""latency": "200ms""#)
        let proxy = try ProxyProcess(["serve", "--config", config.path])
        try await Self.initialized(proxy)
        let child = try await proxy.childPID()
        proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
        try await Task.sleep(for: .milliseconds(80))
        kill(child, SIGKILL)
        let (reply, _) = try await proxy.response(to: 2)
        #expect(reply["result"] != nil, "a read is safe to repeat, so the client never sees the crash: \(reply)")
        proxy.request(3, "tools/call", ["name": "API-post-search", "arguments": ["query": "Tasks"]])
        let (after, _) = try await proxy.response(to: 3)
        #expect(after["result"] != nil)
        #expect(proxy.stderr.contains("upstream reconnected"))
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        #expect(processIsGone(child))
    }

    @Test("when the restarted upstream lists different tools, the client is told with notifications/tools/list_changed")
    func toolListChangedAfterRestart() async throws {
        // The first child is a plain sandbox; every later one adds a tool (the marker file says which start it is).
        let marker = try temporaryDirectory().appendingPathComponent("started").path
        let binary = try Binary.path()
        let script = "if [ -f '\(marker)' ]; then exec '\(binary)' sandbox --client-request-tools; else touch '\(marker)'; exec '\(binary)' sandbox; fi"
        let proxy = try ProxyProcess(["serve", "--", "/bin/sh", "-c", script])
        try await Self.initialized(proxy)
        proxy.request(2, "tools/list")
        let (before, _) = try await proxy.response(to: 2)
        let names = before["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(!names.contains("sandbox-list-client-roots"))
        kill(try await proxy.childPID(), SIGKILL)
        var notified = false
        let deadline = ContinuousClock.now + .seconds(10)
        while !notified, ContinuousClock.now < deadline {
            let message = try await proxy.next(timeout: .seconds(10))
            notified = message["method"] == "notifications/tools/list_changed"
        }
        #expect(notified)
        proxy.request(3, "tools/list")
        let (after, _) = try await proxy.response(to: 3)
        let newNames = after["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(newNames.contains("sandbox-list-client-roots"))
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
    }
}
