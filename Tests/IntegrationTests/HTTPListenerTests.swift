import Foundation
import KeeperCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("serve --listen: the Streamable HTTP listener in front of the sandbox as a child process")
struct HTTPListenerTests {
    /// A running `serve --listen` and the key its clients send.
    struct Listener {
        let process: ProxyProcess
        let url: URL
        let key: String
        var client: MCPHTTPClient { MCPHTTPClient(url: url, bearerKey: key) }
    }

    /// Runs `body` against `mcpkeeper serve --listen http://127.0.0.1:0 --key-file TMP OPTIONS -- mcpkeeper
    /// sandbox SANDBOX`, and stops the listener afterwards.
    static func withListener(_ options: [String] = [], sandbox: [String] = [], _ body: (Listener) async throws -> Void) async throws {
        let keyFile = try temporaryDirectory().appendingPathComponent("listener.key").path
        let (process, url) = try await ProxyProcess.listening(
            ["serve", "--listen", "http://127.0.0.1:0", "--key-file", keyFile] + options + ["--", try Binary.path(), "sandbox"] + sandbox)
        try await stopping([process]) {
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(key.count >= 32)
            try await body(Listener(process: process, url: url, key: key))
        }
    }

    /// A refusal: this status, a JSON-RPC error body with this code, and a message that says `mentions`.
    static func expectRefusal(_ reply: HTTPReply, _ status: Int, code: Int = JSONRPCError.invalidRequestCode, mentions: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply.status == status, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.contentType.hasPrefix("application/json"), sourceLocation: sourceLocation)
        #expect(reply.json?["jsonrpc"] == "2.0", "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.errorCode == code, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.errorMessage.contains(mentions), "\(reply.errorMessage)", sourceLocation: sourceLocation)
    }

    /// A tools/call of API-get-self answered normally (the listener still serves).
    static func expectServing(_ client: MCPHTTPClient, id: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let reply = try await client.request(id, "tools/call", ["name": "API-get-self", "arguments": [:]])
        #expect(reply.status == 200, "\(reply.text)", sourceLocation: sourceLocation)
        #expect(reply.json?["id"] == id, sourceLocation: sourceLocation)
        #expect(try toolResultText(try #require(reply.json))["type"] == "bot", sourceLocation: sourceLocation)
    }

    @Test("initialize answers JSON with an Mcp-Session-Id, and tools/list and tools/call work in that session")
    func initializeListCall() async throws {
        try await Self.withListener { listener in
            var client = listener.client
            let reply = try await client.initialize()
            #expect(reply.status == 200)
            #expect(reply.contentType.hasPrefix("application/json"))
            let sessionID = try #require(reply.header("Mcp-Session-Id"))
            #expect(sessionID.count >= 32)
            #expect(reply.json?["id"] == 1)
            #expect(reply.json?["result"]?["serverInfo"]?["name"] == "notion-sandbox")
            #expect(reply.json?["result"]?["protocolVersion"] == "2025-06-18")

            let list = try await client.request(2, "tools/list")
            #expect(list.status == 200)
            #expect(list.json?["id"] == 2)
            let names = list.json?["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("API-get-self"))
            #expect(names.contains("API-post-search"))

            let search = try await client.request("search-1", "tools/call", ["name": "API-post-search", "arguments": ["query": "Team Home"]])
            #expect(search.status == 200)
            #expect(search.json?["id"] == "search-1")
            let first = try toolResultText(try #require(search.json))["results"]?.arrayValue?.first
            #expect(first?["id"]?.stringValue != nil)
        }
    }

    @Test("a tools/call with a progressToken is answered as SSE: the progress notification, then the response, each with an id")
    func progressComesAsSSE() async throws {
        try await Self.withListener { listener in
            var client = listener.client
            try await client.initialize()
            let reply = try await client.request(3, "tools/call", getSelfWithProgress(token: "tok-1"))
            #expect(reply.status == 200)
            #expect(reply.isEventStream, "\(reply.contentType)")
            let events = reply.events
            try #require(events.count == 2, "\(reply.text)")
            let progress = try JSONParser.parse(events[0].data)
            #expect(progress["method"] == "notifications/progress")
            #expect(progress["params"]?["progressToken"] == "tok-1")
            let response = try JSONParser.parse(events[1].data)
            #expect(response["id"] == 3)
            #expect(try toolResultText(response)["type"] == "bot")
            for event in events {
                #expect(event.event == "message")
                #expect(event.id?.wholeMatch(of: /\d+-\d+/) != nil, "event id \(String(describing: event.id))")
            }
            #expect(events[0].id != events[1].id)
            #expect(events[0].id?.split(separator: "-").first == events[1].id?.split(separator: "-").first)
        }
    }

    @Test("GET opens the standalone stream, a new GET takes it over, and a server-to-client request on it is answered by POST")
    func standaloneStream() async throws {
        try await Self.withListener(sandbox: ["--client-request-tools"]) { listener in
            var client = listener.client
            try await client.initialize()
            let dropped = try await client.openStream()
            defer { dropped.cancel() }
            #expect(dropped.reply.status == 200)
            #expect(dropped.reply.isEventStream)
            #expect(dropped.reply.header("Cache-Control") == "no-cache")

            // A client reconnects when its connection broke, often before the server noticed: the new
            // GET takes the stream over and the old one ends, so no message goes to a dead reader.
            let stream = try await client.openStream()
            defer { stream.cancel() }
            #expect(stream.reply.status == 200)
            #expect(await dropped.waitForEnd(timeout: .seconds(2)), "the replaced GET ends")

            let call = Task { [client] in try await client.request(4, "tools/call", ["name": "sandbox-list-client-roots", "arguments": [:]]) }
            let ask = try #require(try await stream.next())
            #expect(ask.id != nil)
            let question = try JSONParser.parse(ask.data)
            #expect(question["method"] == "roots/list")
            let askID = try #require(question["id"])
            let answer = try await client.post(["jsonrpc": "2.0", "id": askID, "result": ["roots": [["uri": "file:///tmp/project", "name": "project"]]]])
            #expect(answer.status == 202)
            let result = try await call.value
            #expect(result.status == 200)
            #expect(result.messages.last?["id"] == 4)
            let text = result.messages.last?["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
            #expect(text.contains("file:///tmp/project"), "\(result.text)")
            #expect(try await client.delete().status == 204)
            #expect(await stream.waitForEnd(), "ending the session ends its GET stream")
        }
    }

    @Test("DELETE ends the session and stops its upstream child; the next request with that id gets 404")
    func deleteEndsSession() async throws {
        try await Self.withListener { listener in
            var client = listener.client
            try await client.initialize()
            let child = try #require(try await listener.process.childPIDs(count: 1).first)
            let deleted = try await client.delete()
            #expect(deleted.status == 204)
            let after = try await client.request(5, "tools/list")
            Self.expectRefusal(after, 404, mentions: "initialize a new session")
            let again = try await client.delete()
            Self.expectRefusal(again, 404, mentions: "unknown or expired")
            let deadline = ContinuousClock.now + .seconds(5)
            while !processIsGone(child), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(processIsGone(child))
        }
    }

    @Test("requests without a valid session, version, body or media type are refused with a status and a JSON-RPC error saying what to do")
    func requestRefusals() async throws {
        try await Self.withListener(["--max-body-bytes", "4096"]) { listener in
            var client = listener.client
            try await client.initialize()

            let noSession = try await client.request(10, "tools/list", headers: ["Mcp-Session-Id": ""])
            Self.expectRefusal(noSession, 400, mentions: "Missing Mcp-Session-Id header: send initialize first")

            let unknown = try await client.request(11, "tools/list", headers: ["Mcp-Session-Id": "0123456789abcdef0123456789abcdef"])
            Self.expectRefusal(unknown, 404, mentions: "initialize a new session")

            let version = try await client.request(12, "tools/list", headers: ["MCP-Protocol-Version": "1999-01-01"])
            Self.expectRefusal(version, 400, mentions: "Unsupported MCP-Protocol-Version \"1999-01-01\"")
            #expect(version.errorMessage.contains("2025-06-18"))

            let notJSON = try await client.post(raw: Array("{not json".utf8))
            Self.expectRefusal(notJSON, 400, code: JSONRPCError.parseErrorCode, mentions: "Parse error")
            #expect(notJSON.json?["id"] == .null)

            let mediaType = try await client.post(raw: Array(#"{"jsonrpc":"2.0","id":13,"method":"ping"}"#.utf8),
                                                  headers: ["Content-Type": "text/plain"])
            Self.expectRefusal(mediaType, 415, mentions: "Content-Type: application/json")

            let padding = String(repeating: "x", count: 8000)
            let tooLarge = try await client.request(14, "tools/call", ["name": "API-post-search", "arguments": ["query": .string(padding)]])
            Self.expectRefusal(tooLarge, 413, mentions: "exceeds 4096 bytes")

            try await Self.expectServing(client, id: 15)
        }
    }

    @Test("a bad Origin or Host is refused with 403 and a missing or wrong bearer key with 401, before anything else")
    func guardRefusals() async throws {
        try await Self.withListener { listener in
            var client = listener.client
            try await client.initialize()
            let port = listener.url.port ?? 0

            let origin = try await client.request(20, "tools/list", headers: ["Origin": "https://evil.example"])
            Self.expectRefusal(origin, 403, mentions: "--allow-origin")
            #expect(origin.errorMessage.contains("https://evil.example"))

            let host = try await client.request(21, "tools/list", headers: ["Host": "evil.example:\(port)"])
            Self.expectRefusal(host, 403, mentions: "is not this listener")

            let loopbackOrigin = try await client.request(22, "ping", headers: ["Origin": "http://localhost:3000"])
            #expect(loopbackOrigin.status == 200, "a loopback Origin is allowed: \(loopbackOrigin.text)")

            let missing = try await client.request(23, "tools/list", headers: ["Authorization": ""])
            Self.expectRefusal(missing, 401, mentions: "Authorization: Bearer <key>")
            #expect(missing.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)

            let wrong = try await client.request(24, "tools/list", headers: ["Authorization": "Bearer " + String(repeating: "0", count: 64)])
            Self.expectRefusal(wrong, 401, mentions: "Missing or wrong bearer key")
            #expect(!wrong.text.contains(listener.key), "the refusal does not reveal the key")

            let stranger = try await MCPHTTPClient(url: listener.url).request(1, "initialize", initializeParams)
            Self.expectRefusal(stranger, 401, mentions: "Missing or wrong bearer key")
            #expect(stranger.header("Mcp-Session-Id") == nil)
            let strangerStream = try await client.openStream(headers: ["Authorization": ""])
            #expect(strangerStream.reply.status == 401)
            strangerStream.cancel()

            try await Self.expectServing(client, id: 25)
            #expect(!listener.process.stderr.contains(listener.key), "the key is never logged")
        }
    }

    @Test("a full session table evicts an idle session for a newcomer; DELETE frees a slot too")
    func sessionLimit() async throws {
        try await Self.withListener(["--max-sessions", "1"]) { listener in
            var first = listener.client
            try await first.initialize()
            var second = listener.client
            try await second.initialize()
            #expect(try await first.request(2, "tools/list").status == 404, "the idle first session made room")
            try await Self.expectServing(second, id: 3)

            #expect(try await second.delete().status == 204)
            var third = listener.client
            try await third.initialize()
            try await Self.expectServing(third, id: 4)
        }
    }

    @Test("each session has its own upstream child process")
    func childPerSession() async throws {
        try await Self.withListener { listener in
            var a = listener.client, b = listener.client
            try await a.initialize()
            try await b.initialize()
            #expect(a.sessionID != b.sessionID)
            let pids = try await listener.process.childPIDs(count: 2)
            #expect(pids.count == 2)
            #expect(Set(pids).count == 2, "two sessions, two different children: \(pids)")
            #expect(pids.allSatisfy { !processIsGone($0) })
            try await Self.expectServing(a, id: 2)
            try await Self.expectServing(b, id: 2)
        }
    }

    @Test("SIGTERM to the listener stops every session's upstream child before it exits")
    func sigtermLeavesNoChild() async throws {
        try await Self.withListener { listener in
            var a = listener.client, b = listener.client
            try await a.initialize()
            try await b.initialize()
            let pids = try await listener.process.childPIDs(count: 2)
            #expect(pids.allSatisfy { !processIsGone($0) })
            kill(listener.process.process.processIdentifier, SIGTERM)
            #expect(await listener.process.waitForExit() != nil)
            for pid in pids { #expect(processIsGone(pid), "child \(pid) outlived the listener") }
        }
    }

    @Test("a client that loses its GET stream's connection can open the stream again")
    func reopenDroppedStream() async throws {
        try await Self.withListener { listener in
            var client = listener.client
            try await client.initialize()
            let first = try await client.openStream()
            #expect(first.reply.status == 200)
            first.cancel()
            // The server may learn of the drop late; give it a second, then give up.
            var status = 0
            let deadline = ContinuousClock.now + .seconds(1)
            repeat {
                try await Task.sleep(for: .milliseconds(100))
                let again = try await client.openStream()
                status = again.reply.status
                again.cancel()
            } while status != 200 && ContinuousClock.now < deadline
            #expect(status == 200, "the reconnecting GET is refused as if the dropped connection were still reading")
            _ = try await client.delete()
        }
    }

    @Test("SIGTERM to the listener ends open GET streams and the listener exits")
    func sigtermWithOpenStream() async throws {
        try await Self.withListener { listener in
            var client = listener.client
            try await client.initialize()
            let stream = try await client.openStream()
            defer { stream.cancel() }
            #expect(stream.reply.status == 200)
            let child = try #require(try await listener.process.childPIDs(count: 1).first)
            kill(listener.process.process.processIdentifier, SIGTERM)
            #expect(await listener.process.waitForExit(timeout: .seconds(3)) != nil, "the listener still runs 3 s after SIGTERM")
            #expect(await stream.waitForEnd(timeout: .milliseconds(500)))
            #expect(processIsGone(child))
        }
    }
}
