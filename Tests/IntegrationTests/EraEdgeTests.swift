import AsyncHTTPClient
import Foundation
import KeeperCore
import NIOCore
import Testing

/// The edges of the two eras through the proxy: refusals with the modern era's own errors, headers
/// checked against the body, cancellation both ways (notification on stdio, closed stream on HTTP),
/// a bridged session surviving an upstream crash, and subscriptions ended cleanly at shutdown.
@Suite("protocol eras at the edges")
struct EraEdgeTests {
    static func modernParams(_ params: JSONObject = [:], capabilities: JSONValue = EraTestClient.capabilities) -> JSONValue {
        var object = params
        object["_meta"] = [ModernMeta.protocolVersion: "2026-07-28", ModernMeta.clientCapabilities: capabilities,
                           ModernMeta.clientInfo: ["name": "edge-test", "version": "1"]]
        return .object(object)
    }

    static func serve(_ sandbox: [String]) throws -> ProxyProcess {
        try ProxyProcess(["serve", "--", try Binary.path(), "sandbox"] + sandbox)
    }

    static func waitFor(_ text: String, in process: ProxyProcess, timeout: Duration = .seconds(10)) async throws -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !process.stderr.contains(text), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        return process.stderr.contains(text)
    }

    @Test("a version the proxy does not speak is refused with -32022 and the versions it does")
    func unsupportedVersion() async throws {
        let proxy = try Self.serve([])
        try await stopping([proxy]) {
            var params = Self.modernParams().objectValue!
            params["_meta"] = [ModernMeta.protocolVersion: "2099-01-01", ModernMeta.clientCapabilities: [:]]
            proxy.request(1, "tools/list", .object(params))
            let (answer, _) = try await proxy.response(to: 1)
            #expect(answer["error"]?["code"] == -32022)
            #expect(answer["error"]?["data"]?["requested"] == "2099-01-01")
            #expect(answer["error"]?["data"]?["supported"]?.arrayValue?.contains("2026-07-28") == true)
            SchemaOracle.expectValid(answer, answering: "tools/list", version: "2026-07-28")
        }
    }

    @Test("a modern client without the capability the upstream asks for gets -32021 naming it", arguments: ProtocolEra.allCases)
    func missingCapability(_ upstream: ProtocolEra) async throws {
        let proxy = try Self.serve(["--protocol", upstream.rawValue, "--client-request-tools"])
        try await stopping([proxy]) {
            proxy.request(1, "tools/call", Self.modernParams(["name": "sandbox-list-client-roots", "arguments": [:]], capabilities: [:]))
            let (answer, _) = try await proxy.response(to: 1)
            #expect(answer["error"]?["code"] == -32021, "\(answer)")
            #expect(answer["error"]?["data"]?["requiredCapabilities"]?["roots"] != nil)
            SchemaOracle.expectValid(answer, answering: "tools/call", version: "2026-07-28")
            proxy.request(2, "tools/call", Self.modernParams(["name": "API-get-self", "arguments": [:]]))
            let (after, _) = try await proxy.response(to: 2)
            #expect(after["result"]?["resultType"] == "complete", "the session goes on: \(after)")
        }
    }

    @Test("a legacy client without the capability a modern upstream needs gets a clear error, not a hang")
    func legacyClientMissingCapability() async throws {
        let proxy = try Self.serve(["--protocol", "modern", "--client-request-tools"])
        try await stopping([proxy]) {
            proxy.request(1, "initialize", ["protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "c", "version": "1"]])
            _ = try await proxy.response(to: 1)
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            proxy.request(2, "tools/call", ["name": "sandbox-confirm", "arguments": [:]])
            let (answer, _) = try await proxy.response(to: 2)
            #expect(answer["error"]?["message"]?.stringValue?.contains("elicitation") == true, "\(answer)")
        }
    }

    @Test("the listener checks modern headers against the body: 400 with -32020")
    func headerMismatch() async throws {
        let (proxy, url) = try await ProxyProcess.listening(["serve", "--listen", "http://127.0.0.1:0", "--no-auth", "--", try Binary.path(), "sandbox"])
        try await stopping([proxy]) {
            let client = MCPHTTPClient(url: url)
            let call: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                   "params": Self.modernParams(["name": "API-get-self", "arguments": [:]])]
            let cases: [(String, [String: String], String)] = [
                ("name", ["MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "API-get-user"], "does not match body value 'API-get-self'"),
                ("method", ["MCP-Protocol-Version": "2026-07-28", "Mcp-Name": "API-get-self"], "Mcp-Method header is missing"),
                ("version", ["MCP-Protocol-Version": "2025-11-25", "Mcp-Method": "tools/call", "Mcp-Name": "API-get-self"], "does not match"),
            ]
            for (what, headers, message) in cases {
                let reply = try await client.post(call, headers: headers)
                #expect(reply.status == 400, "\(what): \(reply.text)")
                #expect(reply.errorCode == -32020, "\(what): \(reply.text)")
                #expect(reply.errorMessage.contains(message), "\(what): \(reply.errorMessage)")
            }
            let good = try await client.post(call, headers: ["MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call",
                                                             "Mcp-Name": ModernHTTPHeaders.encode("API-get-self")])
            #expect(good.status == 200 && good.messages.last?["result"]?["resultType"] == "complete", "\(good.text)")
        }
    }

    @Test("Mcp-Param-* headers pass through the proxy to a modern HTTP upstream, with the standard headers set from the body")
    func paramHeadersForwarded() async throws {
        let received = try temporaryDirectory().appendingPathComponent("received.jsonl").path
        let (sandbox, sandboxURL) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--protocol", "modern",
                                                                       "--received-log", received])
        let (proxy, url) = try await ProxyProcess.listening(["serve", "--listen", "http://127.0.0.1:0", "--no-auth", "--url", sandboxURL.absoluteString])
        try await stopping([proxy, sandbox]) {
            let client = MCPHTTPClient(url: url)
            let call: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                   "params": Self.modernParams(["name": "API-get-self", "arguments": ["region": "eu-1"]])]
            let reply = try await client.post(call, headers: ["MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call",
                                                              "Mcp-Name": "API-get-self", "Mcp-Param-Region": "eu-1"])
            #expect(reply.status == 200, "\(reply.text)")
            let lines = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
            let logged = try #require(lines.first { $0["tool"] == "API-get-self" })
            #expect(logged["headers"]?["mcp-param-region"] == "eu-1", "the sandbox checked the standard headers and saw the custom one: \(logged)")
        }
    }

    @Test("as an HTTP client, mcpkeeper mirrors x-mcp-header parameters into Mcp-Param-* and leaves out tools whose annotation breaks the rules")
    func headerParametersMirrored() async throws {
        let received = try temporaryDirectory().appendingPathComponent("received.jsonl").path
        let (sandbox, sandboxURL) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--protocol", "modern",
                                                                       "--client-request-tools", "--received-log", received])
        let proxy = try ProxyProcess(["serve", "--url", sandboxURL.absoluteString])
        try await stopping([proxy, sandbox]) {
            proxy.request(1, "tools/list", Self.modernParams())
            let (list, _) = try await proxy.response(to: 1)
            let names = list["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("sandbox-routed-echo") && !names.contains("sandbox-invalid-header"), "\(names)")
            #expect(proxy.stderr.contains("left out a tool whose definition an HTTP client must reject"))
            proxy.request(2, "tools/call", Self.modernParams(["name": "sandbox-routed-echo", "arguments": ["region": "zürich 1"]]))
            let (answer, _) = try await proxy.response(to: 2)
            #expect(answer["result"]?["content"]?.arrayValue?.first?["text"] == "routed to zürich 1", "\(answer)")
            let lines = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
            let logged = try #require(lines.first { $0["tool"] == "sandbox-routed-echo" })
            #expect(logged["headers"]?["mcp-param-region"] == .string(ModernHTTPHeaders.encode("zürich 1")), "\(logged)")
        }
    }

    @Test("a modern client's cancellation on stdio reaches the upstream of either era, and no answer follows", arguments: ProtocolEra.allCases)
    func cancellationOnStdio(_ upstream: ProtocolEra) async throws {
        let received = try temporaryDirectory().appendingPathComponent("received.jsonl").path
        // The latency only bounds a failure: on a loaded machine a cancellation may take seconds to arrive.
        let proxy = try Self.serve(["--protocol", upstream.rawValue, "--latency", "15s", "--received-log", received])
        try await stopping([proxy]) {
            proxy.send(["jsonrpc": "2.0", "id": "slow", "method": "tools/call", "params": Self.modernParams(["name": "API-get-self", "arguments": [:]])])
            let deadline = ContinuousClock.now + .seconds(5)
            while !((try? String(contentsOfFile: received, encoding: .utf8))?.contains("API-get-self") ?? false), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
            }
            proxy.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": "slow"]])
            #expect(try await Self.waitFor("request cancelled by the client", in: proxy))
            proxy.request(2, "tools/list", Self.modernParams())
            let (list, skipped) = try await proxy.response(to: 2)
            #expect(list["result"] != nil)
            #expect(skipped.allSatisfy { $0["id"] != "slow" }, "\(skipped)")
        }
    }

    @Test("closing the HTTP stream cancels a modern request, at the upstream too")
    func cancellationOverHTTP() async throws {
        let received = try temporaryDirectory().appendingPathComponent("received.jsonl").path
        let (sandbox, sandboxURL) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--protocol", "modern",
                                                                       "--latency", "5s", "--sse-keepalive", "100ms", "--received-log", received])
        let (proxy, url) = try await ProxyProcess.listening(["serve", "--listen", "http://127.0.0.1:0", "--no-auth", "--sse-keepalive", "100ms",
                                                            "--url", sandboxURL.absoluteString])
        try await stopping([proxy, sandbox]) {
            var request = HTTPClientRequest(url: url.absoluteString)
            request.method = .POST
            for (name, value) in ["Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                                  "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/call", "Mcp-Name": "API-get-self"] {
                request.headers.replaceOrAdd(name: name, value: value)
            }
            let call: JSONValue = ["jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": Self.modernParams(["name": "API-get-self", "arguments": [:]])]
            request.body = .bytes(ByteBuffer(bytes: Array(call.serialized().utf8)))
            let connection = try await SSEConnection.open(request, timeout: .seconds(10))
            #expect(connection.reply.status == 200, "a slow answer streams, so leaving can be noticed")
            // Leave only once the call has reached the sandbox: a cancel before that has nothing to cancel there.
            let deadline = ContinuousClock.now + .seconds(10)
            while !((try? String(contentsOfFile: received, encoding: .utf8)) ?? "").contains("tools/call"), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            connection.cancel()
            #expect(try await Self.waitFor("request cancelled by the client", in: sandbox), "sandbox: \(sandbox.stderr)")
        }
    }

    @Test("a bridged session survives the legacy upstream crashing: it is initialized again and the modern client goes on")
    func bridgedSessionSurvivesCrash() async throws {
        let proxy = try Self.serve(["--crash-after", "2", "--crash-point", "before-apply"])
        try await stopping([proxy]) {
            for id in 1...3 {
                proxy.request(id, "tools/call", Self.modernParams(["name": "API-get-self", "arguments": [:]]))
                let (answer, _) = try await proxy.response(to: .number(JSONNumber(id)))
                #expect(answer["result"]?["resultType"] == "complete", "call \(id): \(answer)")
            }
            #expect(proxy.stderr.contains("upstream reconnected"))
            #expect(proxy.stderr.components(separatedBy: "learned the upstream's protocol era").count > 2, "learned again after each restart")
        }
    }

    @Test("shutdown ends an open subscription with its graceful completion, without waiting for it")
    func subscriptionEndsAtShutdown() async throws {
        let proxy = try Self.serve(["--client-request-tools"])
        proxy.request(7, "subscriptions/listen", Self.modernParams(["notifications": ["toolsListChanged": true]]))
        let ack = try await proxy.next()
        #expect(ack["method"] == "notifications/subscriptions/acknowledged")
        let closed = ContinuousClock.now
        proxy.closeInput()
        let (end, _) = try await proxy.response(to: 7)
        // Before the 10 s drain would have given up on it.
        #expect(ContinuousClock.now - closed < .seconds(6), "the drain does not wait out a subscription")
        #expect(end["result"]?["_meta"]?[ModernMeta.subscriptionID] == 7)
        SchemaOracle.expectValid(end, answering: "subscriptions/listen", version: "2026-07-28")
        #expect(await proxy.waitForExit(timeout: .seconds(20)) == 0)
    }
}
