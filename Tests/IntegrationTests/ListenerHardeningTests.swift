import Foundation
import KeeperCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite("The HTTP listeners hold their key on every path and bound what a client can make them spend")
struct ListenerHardeningTests {
    /// Request targets that a lax router maps onto the endpoint, or that probe around it.
    static let pathVariants = ["/mcp/", "//mcp", "/MCP", "/mcp/../mcp", "/./mcp", "/%6Dcp", "/%2Fmcp", "/mcp%2F", "/mcp;x", "/", "/x"]

    static func port(_ url: URL) -> Int { url.port ?? 0 }

    static func expectGuarded(port: Int, key: String?, authorization: (String) -> String = { "Bearer \($0)" },
                              sourceLocation: SourceLocation = #_sourceLocation) async {
        for target in pathVariants + ["/mcp", "/mcp?x=1"] {
            for method in ["POST", "GET", "DELETE"] {
                let refused = await RawHTTP.exchange(port: port, method: method, target: target)
                #expect(refused.status == 401, "\(method) \(target) without credentials: \(refused.text)", sourceLocation: sourceLocation)
            }
            guard let key else { continue }
            let reply = await RawHTTP.exchange(port: port, target: target, headers: ["Authorization": authorization(key)])
            if target.hasPrefix("/mcp"), !target.dropFirst(4).hasPrefix("/"), !target.dropFirst(4).hasPrefix("%"), !target.dropFirst(4).hasPrefix(";") {
                #expect(reply.status != 404 && reply.status != 401, "\(target) with the key: \(reply.text)", sourceLocation: sourceLocation)
            } else {
                #expect(reply.status == 404, "\(target) with the key: \(reply.text)", sourceLocation: sourceLocation)
            }
        }
    }

    @Test("serve --listen: every path variant is refused without the key (401) and reaches nothing with it (404)")
    func listenerPaths() async throws {
        try await HTTPListenerTests.withListener { listener in
            await Self.expectGuarded(port: Self.port(listener.url), key: listener.key)
            #expect(listener.process.stderr.matches(of: /proxying .*pid=/).count == 0, "no session was created by any of them")
        }
    }

    @Test("sandbox --auth-token: the same guard on every path")
    func sandboxTokenPaths() async throws {
        let (sandbox, url) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--auth-token", "sandbox-secret-token"])
        try await stopping([sandbox]) {
            await Self.expectGuarded(port: Self.port(url), key: "sandbox-secret-token")
        }
    }

    @Test("sandbox --oauth: the MCP endpoint and unknown paths need a token; only the OAuth endpoints are public, exactly")
    func sandboxOAuthPaths() async throws {
        let (sandbox, url) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--oauth"])
        try await stopping([sandbox]) {
            let port = Self.port(url)
            await Self.expectGuarded(port: port, key: nil)
            #expect(await RawHTTP.exchange(port: port, method: "GET", target: "/.well-known/oauth-authorization-server").status == 200)
            for variant in ["/.well-known/oauth-authorization-server/", "//.well-known/oauth-authorization-server", "/token/"] {
                #expect(await RawHTTP.exchange(port: port, method: "GET", target: variant).status == 401, "\(variant)")
            }
        }
    }

    @Test("hundreds of connections that never finish their request head neither stop a session being served nor stay open")
    func slowloris() async throws {
        let keyFile = try temporaryDirectory().appendingPathComponent("listener.key").path
        let (process, url) = try await ProxyProcess.listening(
            ["serve", "--listen", "http://127.0.0.1:0", "--key-file", keyFile, "--head-timeout", "1s", "--", try Binary.path(), "sandbox"],
            openFileLimit: 200)
        try await stopping([process]) {
            let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(process.stderr.contains("lowered the listener's connection limit to fit the open-file limit"))
            var client = MCPHTTPClient(url: url, bearerKey: key)
            try await client.initialize()
            let port = Self.port(url)
            let attackers = await RawHTTP.blocking { (0..<300).compactMap { _ in RawHTTP.connect(port: port, receiveTimeout: .milliseconds(200)) } }
            defer { attackers.forEach { close($0) } }
            #expect(attackers.count > 250, "the listener kept accepting (a few connects may time out while it turns the rest away)")
            for round in 0..<5 {
                await RawHTTP.blocking { for fd in attackers { RawHTTP.write(fd, "P") } }
                // A fresh connection per request, as simple clients make them: it must find room.
                let reply = await RawHTTP.exchange(port: port, target: "/mcp", headers: [
                    "Authorization": "Bearer \(key)", "Mcp-Session-Id": client.sessionID ?? "", "MCP-Protocol-Version": "2025-06-18",
                ], body: #"{"jsonrpc":"2.0","id":\#(100 + round),"method":"tools/list"}"#)
                #expect(reply.status == 200, "round \(round): \(reply.text.prefix(300))")
                try await HTTPListenerTests.expectServing(client, id: .number(JSONNumber(200 + round)))
            }
            let deadline = ContinuousClock.now + .seconds(10)
            var open = attackers.count
            while open > 0, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(100))
                open = attackers.filter { !RawHTTP.isClosedByPeer($0) }.count
            }
            #expect(open == 0, "\(open) stalled connections are still open past the head timeout")
            try await HTTPListenerTests.expectServing(client, id: 300)
        }
    }

    @Test("a full session table evicts the least recently used idle session; an invalid initialize gets no session and no child")
    func sessionEviction() async throws {
        try await HTTPListenerTests.withListener(["--max-sessions", "2"]) { listener in
            let invalid = try await listener.client.request(1, "initialize", ["capabilities": [:]])
            HTTPListenerTests.expectRefusal(invalid, 400, code: JSONRPCError.invalidParamsCode, mentions: "no session was created")
            #expect(invalid.header("Mcp-Session-Id") == nil)
            var a = listener.client, b = listener.client, c = listener.client
            try await a.initialize()
            try await b.initialize()
            try await HTTPListenerTests.expectServing(a, id: 2)
            try await c.initialize()
            let evicted = try await b.request(3, "tools/list")
            #expect(evicted.status == 404, "\(evicted.text)")
            try await HTTPListenerTests.expectServing(a, id: 4)
            try await HTTPListenerTests.expectServing(c, id: 5)
            #expect(listener.process.stderr.contains("evicted the least recently used idle session"))
            #expect(try await listener.process.childPIDs(count: 3).count == 3, "one child per valid initialize, none for the invalid one")
        }
    }

    /// Whether a used session outlives the unused timeout is for `HTTPSessionTableTests.expiry`, on
    /// an injected clock: here a loaded machine could stretch a client's own steps past any short timeout.
    @Test("a session whose handshake never completed ends after --unused-session-timeout")
    func unusedSessionExpires() async throws {
        try await HTTPListenerTests.withListener(["--unused-session-timeout", "1s"]) { listener in
            let opened = try await listener.client.request(1, "initialize", initializeParams)
            let session = try #require(opened.header("Mcp-Session-Id"), "\(opened.text)")
            let deadline = ContinuousClock.now + .seconds(20)
            while !listener.process.stderr.contains("expired idle sessions"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            var abandoned = listener.client
            abandoned.sessionID = session
            #expect(try await abandoned.request(2, "tools/list").status == 404)
        }
    }

    @Test("listening beyond loopback needs --expose-to-network, and never without a key")
    func loopbackOnly() async throws {
        let cases: [([String], String)] = [
            (["serve", "--listen", "http://0.0.0.0:0", "--no-auth"], "--expose-to-network"),
            (["serve", "--listen", "http://0.0.0.0:0", "--no-auth", "--expose-to-network"], "needs a key; drop --no-auth"),
            (["sandbox", "--listen", "http://0.0.0.0:0"], "listen on 127.0.0.1"),
        ]
        for (arguments, mentions) in cases {
            let process = try ProxyProcess(arguments + (arguments[0] == "serve" ? ["--", try Binary.path(), "sandbox"] : []))
            let status = await process.waitForExit(timeout: .seconds(20))
            #expect(status != nil && status != 0, "\(arguments)")
            #expect(await process.completeStderr().contains(mentions), "\(arguments): \(process.stderr)")
        }
    }

    @Test("a listener key file other users can read is refused, with the chmod that fixes it")
    func looseKeyFile() async throws {
        let keyFile = try temporaryDirectory().appendingPathComponent("listener.key").path
        try String(repeating: "ab", count: 32).write(toFile: keyFile, atomically: true, encoding: .utf8)
        chmod(keyFile, 0o644)
        let process = try ProxyProcess(["serve", "--listen", "http://127.0.0.1:0", "--key-file", keyFile, "--", try Binary.path(), "sandbox"])
        let status = await process.waitForExit(timeout: .seconds(20))
        #expect(status != nil && status != 0)
        #expect(await process.completeStderr().contains("chmod 600 \(keyFile)"), "\(process.stderr)")
    }

    @Test("Content-Type and Accept are read as media types, not prefixes")
    func mediaTypes() async throws {
        try await HTTPListenerTests.withListener { listener in
            let port = Self.port(listener.url)
            let auth = ["Authorization": "Bearer \(listener.key)"]
            #expect(await RawHTTP.exchange(port: port, target: "/mcp", headers: auth.merging(["Content-Type": "application/jsonp"]) { $1 }).status == 415)
            #expect(await RawHTTP.exchange(port: port, target: "/mcp", headers: auth.merging(["Content-Type": "application/json-seq"]) { $1 }).status == 415)
            #expect(await RawHTTP.exchange(port: port, target: "/mcp", headers: auth.merging([
                "Accept": "application/json;q=0, text/event-stream;q=0"]) { $1 }).status == 406)
            let charset = await RawHTTP.exchange(port: port, target: "/mcp", headers: auth.merging(["Content-Type": "Application/JSON; charset=utf-8"]) { $1 },
                                           body: initializeParams.initializeRequest)
            #expect(charset.status == 200, "\(charset.text)")
        }
    }
}

extension JSONValue {
    /// An `initialize` request (id 1) with these params, as text.
    var initializeRequest: String {
        JSONValue.object(["jsonrpc": "2.0", "id": 1, "method": "initialize", "params": self]).serialized()
    }
}
