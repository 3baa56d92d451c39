import Foundation
import KeeperCore
import Testing

/// Hundreds of writes under random faults; afterwards the sandbox's journal of applied writes must be
/// exactly the writes the client saw succeed, plus at most those it was told have an unknown outcome,
/// and no write may appear twice.
@Suite("randomized faults never lose or double a write")
struct RandomizedFaultTests {
    struct Outcomes {
        var succeeded: Set<String> = []
        var unknown: Set<String> = []
        var notSent: Set<String> = []
    }

    /// Sends `count` comment writes, `concurrency` at a time, each with unique text, and sorts the answers.
    static func write(_ count: Int, concurrency: Int, through proxy: ProxyProcess) async throws -> Outcomes {
        var outcomes = Outcomes()
        var next = 0
        while next < count {
            let batch = next..<min(next + concurrency, count)
            for n in batch {
                proxy.request(100 + n, "tools/call", [
                    "name": "API-create-a-comment",
                    "arguments": ["parent": ["page_id": "00000000-0000-4000-8000-000000000004"],
                                  "rich_text": [["text": ["content": .string("write-\(n)")]]]],
                ])
            }
            var pending = Set(batch.map { 100 + $0 })
            while !pending.isEmpty {
                let message = try await proxy.next(timeout: .seconds(30))
                guard let id = message["id"]?.intValue, pending.remove(id) != nil else { continue }
                let text = "write-\(id - 100)"
                if let result = message["result"] {
                    let body = try JSONParser.parse(result["content"]?.arrayValue?.first?["text"]?.stringValue ?? "null")
                    #expect(body["object"] == "comment", "\(text): \(message)")
                    outcomes.succeeded.insert(text)
                } else if message["error"]?["data"]?["outcome"] == "unknown" {
                    outcomes.unknown.insert(text)
                } else {
                    outcomes.notSent.insert(text)
                }
            }
            next = batch.upperBound
        }
        return outcomes
    }

    static func appliedWrites(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").compactMap {
            try JSONParser.parse(String($0))["arguments"]?["rich_text"]?.arrayValue?.first?["text"]?["content"]?.stringValue
        }
    }

    static func check(_ outcomes: Outcomes, applied: [String], total: Int) {
        let appliedSet = Set(applied)
        #expect(applied.count == appliedSet.count, "a write was applied twice: \(applied.count - appliedSet.count) duplicates")
        #expect(outcomes.succeeded.isSubset(of: appliedSet), "a write reported as done is missing: \(outcomes.succeeded.subtracting(appliedSet).sorted())")
        #expect(appliedSet.subtracting(outcomes.succeeded).isSubset(of: outcomes.unknown),
                "applied without the client being told: \(appliedSet.subtracting(outcomes.succeeded).subtracting(outcomes.unknown).sorted())")
        #expect(outcomes.notSent.isDisjoint(with: appliedSet), "a write reported as not sent was applied")
        #expect(outcomes.succeeded.count + outcomes.unknown.count + outcomes.notSent.count == total)
    }

    @Test("stdio: 200 writes under 20% rate limits and 3% crashes after applying")
    func stdioUnderRateLimitsAndCrashes() async throws {
        let dir = try temporaryDirectory()
        let writeLog = dir.appendingPathComponent("writes.jsonl").path
        let config = try ResilienceTests.config(sandbox: """
            "rate_limit_ratio": 0.2, "retry_after": "5ms", "crash_ratio": 0.03, "crash_point": "after-apply", "seed": 11,
            "write_log": "\(writeLog)", "fault_state": "\(dir.appendingPathComponent("faults").path)"
            """)
        let proxy = try ProxyProcess(["serve", "--config", config.path])
        try await ResilienceTests.initialized(proxy)
        let outcomes = try await Self.write(200, concurrency: 4, through: proxy)
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        #expect(!outcomes.unknown.isEmpty, "the faults should have caught some writes mid-flight")
        #expect(outcomes.succeeded.count > 150)
        Self.check(outcomes, applied: try Self.appliedWrites(writeLog), total: 200)
    }

    @Test("HTTP: 120 writes under HTTP 429s, in-result rate limits and session expiries")
    func httpUnderRefusalsAndExpiries() async throws {
        let dir = try temporaryDirectory()
        let writeLog = dir.appendingPathComponent("writes.jsonl").path
        let (sandbox, url) = try await ProxyProcess.listening([
            "sandbox", "--listen", "http://127.0.0.1:0", "--http-429-ratio", "0.15", "--retry-after", "0s",
            "--rate-limit-ratio", "0.1", "--session-expire-after", "12", "--seed", "5", "--write-log", writeLog,
        ])
        let config = try ResilienceTests.config(sandbox: "").deletingLastPathComponent().appendingPathComponent("http.json")
        try Data("""
        {"upstreams": {"sandbox": {"url": "\(url.absoluteString)"}},
         "retry": {"max_attempts": 8, "base_delay": "5ms", "max_delay": "100ms", "deadline": "20s", "budget_ratio": 1.0}}
        """.utf8).write(to: config)
        let proxy = try ProxyProcess(["serve", "--config", config.path])
        try await stopping([proxy, sandbox]) {
            try await ResilienceTests.initialized(proxy)
            let outcomes = try await Self.write(120, concurrency: 4, through: proxy)
            // Refusals (429) and expired sessions are retried until they succeed; only a write in flight
            // when its session was ended can come back "unknown".
            #expect(outcomes.notSent.isEmpty, "\(outcomes.notSent.count) writes were given up on")
            #expect(outcomes.succeeded.count > 100)
            Self.check(outcomes, applied: try Self.appliedWrites(writeLog), total: 120)
            #expect(proxy.stderr.contains("upstream reconnected"))
        }
    }
}
