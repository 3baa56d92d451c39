import Foundation
import KeeperCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("Every request is answered, and the process ends, whatever the upstream does")
struct DeadUpstreamTests {
    /// A shell upstream that notes each start in `starts`, then runs `body`.
    static func counted(_ starts: String, _ body: String) -> [String] {
        ["--", "/bin/sh", "-c", "echo start >> '\(starts)'; \(body)"]
    }

    static func startCount(_ path: String) -> Int {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    static func errorMessage(_ reply: JSONValue) -> String { reply["error"]?["message"]?.stringValue ?? "" }

    /// `serve` in front of a shell upstream running `body`, the file counting its starts, and the
    /// answer to the client's initialize.
    static func sentInitialize(upstream body: String) async throws -> (ProxyProcess, starts: String, JSONValue) {
        let starts = try temporaryDirectory().appendingPathComponent("starts").path
        let proxy = try ProxyProcess(["serve"] + counted(starts, body))
        proxy.request(1, "initialize", initializeParams)
        let (reply, _) = try await proxy.response(to: 1, timeout: .seconds(15))
        return (proxy, starts, reply)
    }

    @Test("an upstream that exits at once over missing credentials: initialize is answered with the command, its stderr and the fix, and it is not restarted in a loop")
    func exitsAtOnceNeedingAPerson() async throws {
        let (proxy, starts, reply) = try await Self.sentInitialize(upstream: "echo 'Error: NOTION_TOKEN is not set' >&2; exit 1")
        try await stopping([proxy]) {
            let message = Self.errorMessage(reply)
            #expect(message.contains("exited with status 1"), "\(reply)")
            #expect(message.contains("NOTION_TOKEN is not set"), "the child's own words: \(reply)")
            #expect(message.contains("Fix: set NOTION_TOKEN"), "\(reply)")
            proxy.request(2, "tools/list")
            let (second, _) = try await proxy.response(to: 2, timeout: .seconds(5))
            #expect(Self.errorMessage(second).contains("will not try again"), "\(second)")
            #expect(Self.startCount(starts) <= 2, "started \(Self.startCount(starts)) times")
            proxy.closeInput()
            #expect(await proxy.waitForExit(timeout: .seconds(10)) != nil, "EOF ends the process")
        }
    }

    @Test("an upstream that keeps crashing: the circuit opens, requests are answered at once, restarts back off, and SIGTERM ends it")
    func keepsCrashing() async throws {
        let (proxy, starts, reply) = try await Self.sentInitialize(upstream: "exit 3")
        try await stopping([proxy]) {
            #expect(reply["error"] != nil, "\(reply)")
            let deadline = ContinuousClock.now + .seconds(10)
            while !proxy.stderr.contains("keeps failing to start"), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            proxy.request(2, "tools/list")
            let (down, _) = try await proxy.response(to: 2, timeout: .seconds(5))
            // Answered by the open circuit at once (only it says "is down since"), not after waiting
            // for a start: proven by the message, not by a clock a loaded machine can stretch.
            #expect(Self.errorMessage(down).contains("is down since"), "\(down)")
            #expect(Self.errorMessage(down).contains("exited with status 3"), "\(down)")
            try await Task.sleep(for: .milliseconds(300))
            // Backoff from 250 ms doubling (full jitter): a handful of starts in these seconds, never a storm.
            #expect(Self.startCount(starts) <= 12, "started \(Self.startCount(starts)) times")
            kill(proxy.process.processIdentifier, SIGTERM)
            #expect(await proxy.waitForExit(timeout: .seconds(10)) != nil, "SIGTERM ends the process while the upstream is down")
        }
    }

    @Test("a command that does not exist: every request is refused with the fix until EOF")
    func missingCommand() async throws {
        let proxy = try ProxyProcess(["serve", "--", "/nonexistent/mcp-server"])
        try await stopping([proxy]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1, timeout: .seconds(10))
            #expect(Self.errorMessage(reply).contains("not found"), "\(reply)")
            #expect(Self.errorMessage(reply).contains("absolute path"), "\(reply)")
            proxy.closeInput()
            #expect(await proxy.waitForExit(timeout: .seconds(10)) == 1)
        }
    }

    @Test("a call the upstream never answers fails at --request-timeout, and the upstream is told to stop")
    func requestTimeout() async throws {
        let proxy = try ProxyProcess(["serve", "--request-timeout", "1s", "--", try Binary.path(), "sandbox", "--latency", "60s"])
        try await stopping([proxy]) {
            try await ResilienceTests.initialized(proxy)
            let began = ContinuousClock.now
            proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
            let (reply, _) = try await proxy.response(to: 2, timeout: .seconds(20))
            #expect(reply["error"]?["code"] == .number(JSONNumber(JSONRPCError.outcomeUnknownCode)), "\(reply)")
            #expect(Self.errorMessage(reply).contains("did not answer tool \"API-get-self\" within 1 s"), "\(reply)")
            #expect(Self.errorMessage(reply).contains("--request-timeout"), "\(reply)")
            #expect(ContinuousClock.now - began < .seconds(10))
            let deadline = ContinuousClock.now + .seconds(10)
            while !proxy.stderr.contains("request cancelled by the client"), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(50)) }
            #expect(proxy.stderr.contains("request cancelled by the client"), "the sandbox heard notifications/cancelled")
        }
    }

    @Test("notifications/initialized sent before initialize is answered does not stop the client reader: a cancel and EOF still work")
    func lateInitialized() async throws {
        let proxy = try ProxyProcess(["serve", "--", "/bin/sh", "-c", "sleep 60"])
        try await stopping([proxy]) {
            proxy.request(1, "initialize", initializeParams)
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            proxy.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": 1]])
            proxy.closeInput()
            #expect(await proxy.waitForExit(timeout: .seconds(10)) != nil, "the client gave up and left; so does mcpkeeper")
        }
    }

    @Test("serve --listen in front of an upstream that cannot start stops on SIGTERM")
    func listenerStops() async throws {
        let keyFile = try temporaryDirectory().appendingPathComponent("listener.key").path
        let (proxy, url) = try await ProxyProcess.listening(["serve", "--listen", "http://127.0.0.1:0", "--key-file", keyFile, "--", "/bin/sh", "-c", "exit 1"])
        try await stopping([proxy]) {
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            var client = MCPHTTPClient(url: url, bearerKey: key)
            _ = try? await client.initialize()
            kill(proxy.process.processIdentifier, SIGTERM)
            #expect(await proxy.waitForExit(timeout: .seconds(10)) != nil)
        }
    }
}

@Suite("An HTTP upstream that answers what is not an answer")
struct LyingHTTPUpstreamTests {
    @Test("HTTP 200 with a body that is not JSON fails the call at once, naming what came back, with the upstream, method and tool")
    func garbageBody() async throws {
        let (sandbox, url) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--http-garbage-calls"])
        let proxy = try ProxyProcess(["serve", "--name", "lying", "--url", url.absoluteString])
        try await stopping([proxy, sandbox]) {
            try await ResilienceTests.initialized(proxy)
            let began = ContinuousClock.now
            proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
            let (reply, _) = try await proxy.response(to: 2, timeout: .seconds(20))
            #expect(ContinuousClock.now - began < .seconds(10), "not left to the request timeout")
            let message = reply["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("502 Bad Gateway"), "\(reply)")
            #expect(reply["error"]?["data"]?["upstream"] == "lying", "\(reply)")
            #expect(reply["error"]?["data"]?["method"] == "tools/call", "\(reply)")
            #expect(reply["error"]?["data"]?["tool"] == "API-get-self", "\(reply)")
        }
    }
}

extension LyingHTTPUpstreamTests {
    @Test("HTTP 401 from the upstream names the token to check and how to log in, not 'safe to retry'")
    func refusedCredentials() async throws {
        let (sandbox, url) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--auth-token", "right-token"])
        let proxy = try ProxyProcess(["serve", "--name", "guarded", "--url", url.absoluteString, "--header", "Authorization: Bearer wrong-token"])
        try await stopping([proxy, sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1, timeout: .seconds(20))
            let message = reply["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("refused the credentials"), "\(reply)")
            #expect(message.contains("auth.token_env"), "\(reply)")
            #expect(message.contains("mcpkeeper auth login --upstream guarded"), "\(reply)")
            #expect(!message.contains("safe to retry"), "\(reply)")
        }
    }
}

extension DeadUpstreamTests {
    @Test("SIGINT ends the process while a request waits on an upstream that never answers")
    func sigintWhileWaiting() async throws {
        let proxy = try ProxyProcess(["serve", "--", "/bin/sh", "-c", "sleep 60"])
        try await stopping([proxy]) {
            proxy.request(1, "initialize", initializeParams)
            try await Task.sleep(for: .milliseconds(200))
            kill(proxy.process.processIdentifier, SIGINT)
            #expect(await proxy.waitForExit(timeout: .seconds(15)) != nil)
        }
    }

    @Test("requests beyond --max-in-flight are refused unsent; those within it are answered")
    func inFlightLimit() async throws {
        try await HTTPListenerTests.withListener(["--max-in-flight", "2"], sandbox: ["--latency", "1s"]) { listener in
            var client = listener.client
            try await client.initialize()
            let session = client
            let replies = try await withThrowingTaskGroup(of: HTTPReply.self) { group in
                for id in 10..<14 {
                    group.addTask { try await session.request(.number(JSONNumber(id)), "tools/call", ["name": "API-get-self", "arguments": [:]]) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let refused = replies.filter { $0.messages.last?["error"]?["data"]?["outcome"] == "not_sent" }
            let answered = replies.filter { $0.messages.last?["result"] != nil }
            #expect(refused.count == 2, "\(replies.map(\.text))")
            #expect(answered.count == 2, "\(replies.map(\.text))")
            #expect(refused.allSatisfy { ($0.messages.last?["error"]?["message"]?.stringValue ?? "").contains("listener.max_in_flight") })
        }
    }
}

extension LyingHTTPUpstreamTests {
    @Test("an upstream whose 401 echoes the token it got: the token reaches neither the client, nor stderr, nor the request log")
    func echoedTokenNeverLeaves() async throws {
        let upstream = try RawHTTPUpstream.echoingAuthorization()
        let secret = "ntn_" + String(repeating: "Q7", count: 20)
        let log = try temporaryDirectory().appendingPathComponent("requests.jsonl").path
        let proxy = try ProxyProcess(["serve", "--name", "echo", "--log", log, "--url", "http://127.0.0.1:\(upstream.port)/mcp",
                                      "--header", "Authorization: Bearer \(secret)"])
        try await stopping([proxy]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1, timeout: .seconds(20))
            #expect(reply["error"] != nil, "\(reply)")
            #expect(reply.serialized().contains("[redacted]"), "the echo was there, scrubbed: \(reply)")
            #expect(!reply.serialized().contains(secret), "\(reply)")
            #expect(!proxy.stderr.contains(secret))
            #expect(!((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains(secret))
            withExtendedLifetime(upstream) {}
        }
    }
}

extension LyingHTTPUpstreamTests {
    @Test("requests pipelined behind initialize to a strict HTTP upstream wait for its session instead of getting 400")
    func pipelinedBehindInitialize() async throws {
        let (sandbox, url) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0"])
        let proxy = try ProxyProcess(["serve", "--url", url.absoluteString])
        try await stopping([proxy, sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            proxy.request(2, "tools/list")
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            proxy.request(3, "ping")
            // Answers come in the order they are ready: the ping's may pass the tool list's.
            var answers: [Int: JSONValue] = [:]
            while answers[2] == nil || answers[3] == nil {
                let message = try await proxy.next(timeout: .seconds(20))
                if let id = message["id"]?.intValue { answers[id] = message }
            }
            #expect(answers[2]?["result"]?["tools"]?.arrayValue?.isEmpty == false, "\(answers[2] ?? nil)")
            #expect(answers[3]?["result"] != nil, "\(answers[3] ?? nil)")
        }
    }
}

extension DeadUpstreamTests {
    /// A stdio upstream in sh: answers initialize, and answers ping the way `pingAnswer` (given the id) does.
    static func liar(pingAnswer: String) -> [String] {
        let script = #"""
        while read -r line; do
          id=$(printf '%s' "$line" | sed -n 's/.*"id":\([0-9][0-9]*\).*/\1/p')
          case "$line" in
            *'"initialize"'*) printf '{"jsonrpc":"2.0","id":%s,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"liar","version":"1"}}}\n' "$id";;
            *'"ping"'*) \#(pingAnswer);;
          esac
        done
        """#
        return ["serve", "--", "/bin/sh", "-c", script]
    }

    static func pingFailsAtOnce(_ arguments: [String], mentions: String) async throws {
        let proxy = try ProxyProcess(arguments)
        try await stopping([proxy]) {
            try await ResilienceTests.initialized(proxy)
            let began = ContinuousClock.now
            proxy.request(2, "ping")
            let (reply, _) = try await proxy.response(to: 2, timeout: .seconds(30))
            #expect(Self.errorMessage(reply).contains(mentions), "\(reply)")
            #expect(ContinuousClock.now - began < .seconds(20), "failed when the bad answer came, not at the 60 s request timeout")
            #expect(try await EraEdgeTests.waitFor("the upstream sent something that cannot be delivered", in: proxy), "logged at warning")
        }
    }

    @Test("an answer under an id mcpkeeper never gave fails the one waiting request at once")
    func wrongID() async throws {
        try await Self.pingFailsAtOnce(Self.liar(pingAnswer: #"printf '{"jsonrpc":"2.0","id":%s,"result":{}}\n' "$((id+1000))""#),
                                       mentions: "an id it was never given")
    }

    @Test("an answer over the line limit fails the one waiting request at once")
    func overLimitLine() async throws {
        try await Self.pingFailsAtOnce(Self.liar(pingAnswer: #"head -c 70000000 /dev/zero | tr '\0' x; echo"#),
                                       mentions: "over the line limit")
    }
}
