import Foundation
import KeeperCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("serve over stdio in front of the sandbox as a child process")
struct StdioProxyTests {
    /// Starts `mcpkeeper serve -- mcpkeeper sandbox SANDBOX_ARGS` and completes the MCP handshake.
    static func start(sandbox: [String] = [], serve: [String] = []) async throws -> ProxyProcess {
        let proxy = try ProxyProcess(["serve"] + serve + ["--", try Binary.path(), "sandbox"] + sandbox)
        proxy.request(1, "initialize", initializeParams)
        let (reply, _) = try await proxy.response(to: 1)
        #expect(reply["result"]?["serverInfo"]?["name"] == "notion-sandbox")
        #expect(reply["result"]?["protocolVersion"] == "2025-06-18")
        proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return proxy
    }

    static func toolText(_ reply: JSONValue) throws -> JSONValue {
        let text = try #require(reply["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue)
        return try JSONParser.parse(text)
    }

    @Test("initialize, tools/list and tools/call reach the sandbox and come back under the client's ids")
    func fullRoundTrip() async throws {
        let proxy = try await Self.start()
        proxy.request(7, "tools/list")
        let (list, _) = try await proxy.response(to: 7)
        let names = list["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("API-get-self"))
        #expect(names.contains("API-post-page"))

        proxy.send(#"{"jsonrpc":"2.0","id":"read-1","method":"tools/call","params":{"name":"API-get-self","arguments":{}}}"#)
        let (me, _) = try await proxy.response(to: "read-1")
        #expect(try Self.toolText(me)["type"] == "bot")
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
    }

    @Test("a write goes through once and is visible to a following read")
    func writeThenRead() async throws {
        let dir = try temporaryDirectory()
        let writeLog = dir.appendingPathComponent("writes.jsonl").path
        let proxy = try await Self.start(sandbox: ["--write-log", writeLog])
        proxy.request(2, "tools/call", ["name": "API-post-search", "arguments": ["query": "Team Home"]])
        let (search, _) = try await proxy.response(to: 2)
        let home = try #require(try Self.toolText(search)["results"]?.arrayValue?.first?["id"]?.stringValue)

        proxy.request(3, "tools/call", [
            "name": "API-post-page",
            "arguments": ["parent": ["page_id": .string(home)],
                          "properties": ["title": ["title": [["text": ["content": "Written through mcpkeeper"]]]]]],
        ])
        let (created, _) = try await proxy.response(to: 3)
        let newID = try #require(try Self.toolText(created)["id"]?.stringValue)

        proxy.request(4, "tools/call", ["name": "API-retrieve-a-page", "arguments": ["page_id": .string(newID)]])
        let (page, _) = try await proxy.response(to: 4)
        #expect(try Self.toolText(page)["id"]?.stringValue == newID)
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        let writes = try String(contentsOfFile: writeLog, encoding: .utf8).split(separator: "\n")
        #expect(writes.count == 1)
        #expect(writes.first?.contains("API-post-page") == true)
    }

    @Test("a server-to-client request crosses the proxy both ways with its id remapped")
    func serverToClientRequest() async throws {
        let proxy = try await Self.start(sandbox: ["--client-request-tools"])
        proxy.request(5, "tools/call", ["name": "sandbox-list-client-roots", "arguments": [:]])
        let ask = try await proxy.next()
        #expect(ask["method"] == "roots/list")
        let askID = try #require(ask["id"])
        proxy.send(["jsonrpc": "2.0", "id": askID, "result": ["roots": [["uri": "file:///tmp/project", "name": "project"]]]])
        let (answer, _) = try await proxy.response(to: 5)
        let text = try #require(answer["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue)
        #expect(text.contains("file:///tmp/project"))
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
    }

    @Test("a malformed line is answered with -32700 and the session goes on")
    func malformedLine() async throws {
        let proxy = try await Self.start()
        proxy.send("{not json")
        let error = try await proxy.next()
        #expect(error["error"]?["code"] == -32700)
        #expect(error["id"] == .null)
        proxy.send(#"{"jsonrpc":"2.0","id":9,"method":"tools/call","params":"oops"}"#)
        let invalid = try await proxy.next()
        #expect(invalid["error"]?["code"] == -32600)
        #expect(invalid["id"] == 9)
        proxy.request(10, "ping")
        let (pong, _) = try await proxy.response(to: 10)
        #expect(pong["result"] == [:])
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
    }

    @Test("client EOF shuts the child down and leaves no process behind")
    func eofLeavesNoChild() async throws {
        let proxy = try await Self.start()
        let child = try await proxy.childPID()
        #expect(!processIsGone(child))
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        #expect(processIsGone(child))
    }

    @Test("SIGTERM to the proxy stops the child before the proxy exits")
    func sigtermLeavesNoChild() async throws {
        let proxy = try await Self.start()
        let child = try await proxy.childPID()
        kill(proxy.process.processIdentifier, SIGTERM)
        #expect(await proxy.waitForExit() != nil)
        #expect(processIsGone(child))
    }

    @Test("a child that ignores EOF and SIGTERM is killed after the grace period")
    func stubbornChildIsKilled() async throws {
        let script = "trap '' TERM; while true; do sleep 0.05; done"
        let proxy = try ProxyProcess(["serve", "--shutdown-grace", "200ms", "--", "/bin/sh", "-c", script])
        let child = try await proxy.childPID()
        proxy.closeInput()
        #expect(await proxy.waitForExit(timeout: .seconds(5)) != nil)
        #expect(processIsGone(child))
    }

    @Test("an upstream crash during a write answers 'outcome unknown', the write happened once, and the session goes on")
    func crashDuringWrite() async throws {
        let dir = try temporaryDirectory()
        let writeLog = dir.appendingPathComponent("writes.jsonl").path
        let faultState = dir.appendingPathComponent("fault-state").path
        let proxy = try await Self.start(sandbox: ["--crash-after", "1", "--crash-point", "after-apply", "--write-log", writeLog,
                                                   "--fault-state", faultState])
        proxy.request(2, "tools/call", [
            "name": "API-create-a-comment",
            "arguments": ["parent": ["page_id": "00000000-0000-4000-8000-000000000004"],
                          "rich_text": [["text": ["content": "hello"]]]],
        ])
        let (reply, _) = try await proxy.response(to: 2)
        #expect(reply["error"]?["code"] == .number(JSONNumber(JSONRPCError.outcomeUnknownCode)))
        #expect(reply["error"]?["data"]?["outcome"] == "unknown")
        #expect(reply["error"]?["message"]?.stringValue?.contains("may or may not have been applied") == true)
        proxy.request(3, "tools/call", ["name": "API-get-self", "arguments": [:]])
        let (after, _) = try await proxy.response(to: 3)
        #expect(try Self.toolText(after)["type"] == "bot")
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        let writes = try String(contentsOfFile: writeLog, encoding: .utf8).split(separator: "\n")
        #expect(writes.count == 1)
    }

    @Test("a malformed line from the upstream is not forwarded and the answer after it is")
    func malformedUpstreamOutput() async throws {
        let proxy = try await Self.start(sandbox: ["--malformed-after", "2"])
        proxy.request(2, "tools/list")
        let message = try await proxy.next()
        #expect(message["id"] == 2)
        #expect(message["result"]?["tools"] != nil)
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        #expect(proxy.stderr.contains("upstream sent a malformed message"))
    }

    @Test("the request log has one line per exchange with its outcome and latency")
    func requestLog() async throws {
        let dir = try temporaryDirectory()
        let logPath = dir.appendingPathComponent("logs/requests.jsonl").path
        let proxy = try await Self.start(serve: ["--log", logPath])
        proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
        _ = try await proxy.response(to: 2)
        proxy.send("nonsense")
        _ = try await proxy.next()
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        let lines = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        let call = try #require(lines.first { $0["tool"] == "API-get-self" })
        #expect(call["outcome"] == "ok")
        #expect(call["method"] == "tools/call")
        #expect(call["id"] == 2)
        #expect(call["latency_ms"]?.doubleValue != nil)
        #expect(lines.contains { $0["method"] == "initialize" && $0["outcome"] == "ok" })
        #expect(lines.contains { $0["outcome"] == "invalid" && $0["error_code"] == -32700 })
        let mode = try FileManager.default.attributesOfItem(atPath: logPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test("a client cancellation reaches the upstream under the upstream's id and no answer follows")
    func cancellation() async throws {
        let received = try temporaryDirectory().appendingPathComponent("received.jsonl").path
        let proxy = try await Self.start(sandbox: ["--latency", "3s", "--received-log", received])
        // The client's id is a string; the upstream knows the call only by a proxy-assigned number.
        proxy.send(["jsonrpc": "2.0", "id": "slow", "method": "tools/call", "params": ["name": "API-get-self", "arguments": [:]]])
        let deadline = ContinuousClock.now + .seconds(5)
        while !((try? String(contentsOfFile: received, encoding: .utf8))?.contains("API-get-self") ?? false), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        proxy.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": "slow", "reason": "test"]])
        let cancelled = ContinuousClock.now + .seconds(10)
        while !proxy.stderr.contains("request cancelled by the client"), ContinuousClock.now < cancelled {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(proxy.stderr.contains(/request cancelled by the client requestId=\d+\n/))
        proxy.request(3, "ping")
        let (pong, skipped) = try await proxy.response(to: 3)
        #expect(pong["result"] == [:])
        #expect(skipped.allSatisfy { $0["id"] != "slow" })
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
    }
}
