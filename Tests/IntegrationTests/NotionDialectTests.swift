import Foundation
import KeeperCore
import Testing

/// The sandbox's response dialects (`--dialect`) through the proxy and the probe: each shape a real
/// Notion MCP server reports Notion's errors in gets the same treatment as the official one.
@Suite("Notion error dialects through the proxy")
struct NotionDialectTests {
    static let dialects = SandboxDialect.allCases.filter { $0 != .official }.map(\.rawValue)

    @Test("with 30% of reads rate-limited, every read succeeds for the client, each limit retried", arguments: dialects)
    func rateLimitedReadsSucceed(dialect: String) async throws {
        let log = try temporaryDirectory().appendingPathComponent("requests.jsonl").path
        let config = try ResilienceTests.config(sandbox: #""rate_limit_ratio": 0.3, "retry_after": "10ms", "seed": 7, "dialect": "\#(dialect)""#)
        let proxy = try ProxyProcess(["serve", "--config", config.path, "--log", log])
        try await ResilienceTests.initialized(proxy)
        for id in 2...16 {
            proxy.request(id, "tools/call", ["name": "API-get-self", "arguments": [:]])
            let (reply, _) = try await proxy.response(to: .number(JSONNumber(id)))
            let text = reply["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.contains("\"bot\""), "\(dialect) call \(id): \(reply)")
            #expect(reply["result"]?["isError"] == nil, "\(dialect) call \(id): \(reply)")
        }
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        let entries = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        let retried = entries.filter { $0["tool"] == "API-get-self" && ($0["attempts"]?.intValue ?? 1) > 1 }
        #expect(retried.count >= 2, "\(dialect): about 30% of 15 calls should have needed a retry")
    }

    @Test("writes under in-result rate limits are applied exactly once", arguments: dialects)
    func writesExactlyOnce(dialect: String) async throws {
        let dir = try temporaryDirectory()
        let writeLog = dir.appendingPathComponent("writes.jsonl").path
        let config = try ResilienceTests.config(sandbox: """
            "rate_limit_ratio": 0.3, "retry_after": "5ms", "seed": 13, "dialect": "\(dialect)", "write_log": "\(writeLog)"
            """)
        let proxy = try ProxyProcess(["serve", "--config", config.path])
        try await ResilienceTests.initialized(proxy)
        let outcomes = try await RandomizedFaultTests.write(40, concurrency: 4, through: proxy)
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        #expect(outcomes.succeeded.count == 40, "\(dialect): \(outcomes)")
        RandomizedFaultTests.check(outcomes, applied: try RandomizedFaultTests.appliedWrites(writeLog), total: 40)
    }

    @Test("a Notion error in any dialect reaches the client as isError with the server's content and one hint", arguments: dialects)
    func hinted(dialect: String) async throws {
        let config = try ResilienceTests.config(sandbox: #""notion_error": "object_not_found", "dialect": "\#(dialect)""#)
        let proxy = try ProxyProcess(["serve", "--config", config.path])
        try await ResilienceTests.initialized(proxy)
        proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
        let (reply, _) = try await proxy.response(to: 2)
        proxy.closeInput()
        _ = await proxy.waitForExit()
        let result = try #require(reply["result"], "\(reply)")
        #expect(result["isError"] == true, "\(dialect): \(reply)")
        let content = try #require(result["content"]?.arrayValue)
        #expect(content.count == 2, "\(dialect): \(reply)")
        #expect(content.last?["text"]?.stringValue == NotionHintStage.prefix + (NotionErrorHints.remediation(for: "object_not_found") ?? ""))
    }

    @Test("probe -t 10: a refused token is CRITICAL with the fix and a rate-limited whoami WARNING, in every dialect", arguments: dialects)
    func probeJudgesWhoami(dialect: String) async throws {
        let refused = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "-t", "10"]
                                                   + ProbeHarness.sandbox(["--dialect", dialect, "--invalid-token"]))
        #expect(refused.status == 2, "\(refused)")
        #expect(refused.line.contains("the upstream refused the credentials"), "\(refused)")
        #expect(refused.line.contains("profile/integrations"), "the hint says where to get the token again: \(refused)")
        let limited = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "-t", "10"]
                                                   + ProbeHarness.sandbox(["--dialect", dialect, "--rate-limit-ratio", "1"]))
        #expect(limited.status == 1, "\(limited)")
        #expect(limited.line.contains("API-get-self was rate limited"), "\(limited)")
        let restricted = try await ProbeHarness.probe(["--state-file", try ProbeHarness.stateFile(), "-t", "10"]
                                                      + ProbeHarness.sandbox(["--dialect", dialect, "--notion-error", "restricted_resource"]))
        #expect(restricted.status == 2, "\(restricted)")
        #expect(restricted.line.contains("Share → Connections"), "\(restricted)")
    }

    @Test("a tool the sandbox does not list is refused with -32602 and the nearest names, never sent")
    func unknownToolRefused() async throws {
        let dir = try temporaryDirectory()
        let received = dir.appendingPathComponent("received.jsonl").path
        let config = try ResilienceTests.config(sandbox: #""received_log": "\#(received)""#)
        let proxy = try ProxyProcess(["serve", "--config", config.path])
        try await ResilienceTests.initialized(proxy)
        proxy.request(2, "tools/list")
        _ = try await proxy.response(to: 2)
        proxy.request(3, "tools/call", ["name": "API-get-selff", "arguments": [:]])
        let (reply, _) = try await proxy.response(to: 3)
        proxy.closeInput()
        _ = await proxy.waitForExit()
        #expect(reply["error"]?["code"] == -32602, "\(reply)")
        #expect(reply["error"]?["message"]?.stringValue?.contains("\"API-get-self\"") == true, "\(reply)")
        let calls = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").filter { $0.contains("tools/call") }
        #expect(calls.isEmpty, "the call never reached the upstream: \(calls)")
    }

    @Test("mcpkeeper classify shows the rule a config adds, and the built-in verdict without it")
    func classifyCommand() async throws {
        let dir = try temporaryDirectory()
        let config = dir.appendingPathComponent("config.json")
        try Data(#"{"upstreams":{"py":{"command":"python3","outcome_rules":[{"name":"friendly","pattern":"Too many requests","outcome":"rate_limited"}]}}}"#.utf8).write(to: config)
        let answer = dir.appendingPathComponent("answer.json")
        try Data(#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"Too many requests. Try again in 2 seconds."}]}}"#.utf8).write(to: answer)
        let withRule = try await ProbeHarness.probe(["--config", config.path, "--upstream", "py", answer.path], command: "classify")
        #expect(withRule.status == 0, "\(withRule)")
        let verdict = try #require(withRule.json, "\(withRule)")
        #expect(verdict["outcome"] == "rate_limited")
        #expect(verdict["rule"] == "user:friendly")
        #expect(verdict["retry_after_s"] == 2)
        #expect(verdict["retried"] == true)
        let builtIn = try await ProbeHarness.probe([answer.path], command: "classify")
        #expect(builtIn.json?["outcome"] == "success", "\(builtIn)")
        let missing = try await ProbeHarness.probe([dir.appendingPathComponent("none.json").path], command: "classify")
        #expect(missing.status == 1, "\(missing)")
        #expect(missing.stderr.contains("cannot read"), "\(missing)")
    }
}
