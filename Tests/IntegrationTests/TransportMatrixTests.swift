import Foundation
import KeeperCore
import Testing

@Suite("every downstream transport with every upstream transport, end to end")
struct TransportMatrixTests {
    /// Which way the client reaches the proxy, and the proxy the sandbox.
    enum Combination: String, CaseIterable, CustomTestStringConvertible {
        case stdioToStdio = "stdio client → proxy → stdio child"
        case httpToStdio = "HTTP client → proxy → stdio child"
        case stdioToHTTP = "stdio client → proxy → HTTP sandbox"
        case httpToHTTP = "HTTP client → proxy → HTTP sandbox with a bearer token"

        var testDescription: String { rawValue }
    }

    /// The client's end of the proxy: its stdin/stdout, or an HTTP session on its listener.
    enum Downstream {
        case stdio(ProxyProcess)
        case http(MCPHTTPClient)

        /// Sends a request; the answer and the server messages that came with it, in order.
        func call(_ id: Int, _ method: String, _ params: JSONValue? = nil) async throws -> (JSONValue, notifications: [JSONValue]) {
            switch self {
            case .stdio(let proxy):
                proxy.request(id, method, params)
                let (answer, skipped) = try await proxy.response(to: .number(JSONNumber(id)))
                return (answer, skipped)
            case .http(let client):
                let reply = try await client.request(.number(JSONNumber(id)), method, params)
                guard reply.status == 200, let answer = reply.messages.last else {
                    throw HarnessError("\(method): HTTP \(reply.status) \(reply.text)")
                }
                return (answer, Array(reply.messages.dropLast()))
            }
        }
    }

    static let token = "sandbox-token-\(UUID().uuidString)"

    /// Starts the processes for `combination`; returns them (to stop afterwards) and the client's end.
    static func start(_ combination: Combination) async throws -> ([ProxyProcess], Downstream) {
        let binary = try Binary.path()
        let dir = try temporaryDirectory()
        let keyFile = dir.appendingPathComponent("listener.key").path
        switch combination {
        case .stdioToStdio:
            let proxy = try ProxyProcess(["serve", "--", binary, "sandbox"])
            return ([proxy], try await handshake(proxy))
        case .httpToStdio:
            let (proxy, url) = try await ProxyProcess.listening(["serve", "--listen", "http://127.0.0.1:0", "--key-file", keyFile, "--", binary, "sandbox"])
            return ([proxy], try await handshake(url: url, keyFile: keyFile))
        case .stdioToHTTP:
            let (sandbox, sandboxURL) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0"])
            let proxy = try ProxyProcess(["serve", "--url", sandboxURL.absoluteString])
            return ([proxy, sandbox], try await handshake(proxy))
        case .httpToHTTP:
            let (sandbox, sandboxURL) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--auth-token", token])
            let config = dir.appendingPathComponent("config.json")
            let json: JSONValue = ["upstreams": ["sandbox-http": [
                "url": .string(sandboxURL.absoluteString),
                "auth": ["type": "bearer", "token_env": "SANDBOX_TOKEN"],
            ]]]
            try json.serialized().write(to: config, atomically: true, encoding: .utf8)
            let (proxy, url) = try await ProxyProcess.listening(
                ["serve", "--listen", "http://127.0.0.1:0", "--key-file", keyFile, "--config", config.path],
                environment: ["SANDBOX_TOKEN": token])
            return ([proxy, sandbox], try await handshake(url: url, keyFile: keyFile))
        }
    }

    static func handshake(_ proxy: ProxyProcess) async throws -> Downstream {
        let downstream = Downstream.stdio(proxy)
        let (reply, _) = try await downstream.call(1, "initialize", initializeParams)
        try expectInitialized(reply)
        proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return downstream
    }

    static func handshake(url: URL, keyFile: String) async throws -> Downstream {
        let key = try String(contentsOfFile: keyFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var client = MCPHTTPClient(url: url, bearerKey: key)
        let reply = try await client.initialize()
        #expect(reply.header("Mcp-Session-Id") != nil)
        try expectInitialized(try #require(reply.messages.first))
        return .http(client)
    }

    static func expectInitialized(_ reply: JSONValue, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(reply["id"] == 1, sourceLocation: sourceLocation)
        #expect(reply["result"]?["serverInfo"]?["name"] == "notion-sandbox", "\(reply)", sourceLocation: sourceLocation)
        #expect(reply["result"]?["protocolVersion"] == "2025-06-18", sourceLocation: sourceLocation)
    }

    @Test("initialize, tools/list, tools/call and a progress notification cross the proxy", arguments: Combination.allCases)
    func endToEnd(_ combination: Combination) async throws {
        let (processes, downstream) = try await Self.start(combination)
        try await stopping(processes) {
            let (list, _) = try await downstream.call(2, "tools/list")
            let names = list["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("API-get-self"), "\(list)")
            #expect(names.contains("API-post-search"))

            let (search, _) = try await downstream.call(3, "tools/call", ["name": "API-post-search", "arguments": ["query": "Team Home"]])
            #expect(search["id"] == 3)
            #expect(try toolResultText(search)["results"]?.arrayValue?.isEmpty == false, "\(search)")

            let (me, notifications) = try await downstream.call(4, "tools/call", getSelfWithProgress(token: "progress-4"))
            #expect(me["id"] == 4)
            #expect(try toolResultText(me)["type"] == "bot", "\(me)")
            let progress = notifications.filter { $0["method"] == "notifications/progress" }
            #expect(progress.count == 1, "\(notifications)")
            #expect(progress.first?["params"]?["progressToken"] == "progress-4")
            #expect(progress.first?["id"] == nil)
        }
    }

    @Test("an HTTP upstream gets the configured bearer token, never the client's listener key")
    func upstreamGetsOnlyItsToken() async throws {
        let (processes, downstream) = try await Self.start(.httpToHTTP)
        try await stopping(processes) {
            guard case .http(let client) = downstream else { throw HarnessError("expected an HTTP client") }
            let sandboxURL = try await processes[1].listeningURL()
            // The sandbox refuses anything but its token: the listener's key, or no key, gets 401 ...
            let withListenerKey = try await MCPHTTPClient(url: sandboxURL, bearerKey: client.bearerKey).request(1, "initialize", initializeParams)
            #expect(withListenerKey.status == 401)
            let withoutKey = try await MCPHTTPClient(url: sandboxURL).request(1, "initialize", initializeParams)
            #expect(withoutKey.status == 401)
            // ... so a call that succeeds through the proxy proves the proxy sent the configured token.
            let (me, _) = try await downstream.call(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
            #expect(try toolResultText(me)["type"] == "bot", "\(me)")
            #expect(client.bearerKey != Self.token)
            for process in processes {
                #expect(!process.stderr.contains(Self.token), "the upstream token is never logged")
                #expect(!process.stderr.contains(client.bearerKey ?? "-"), "the listener key is never logged")
            }
        }
    }

    @Test("without the token the HTTP upstream refuses the proxy and the client gets an error, not a hang")
    func missingTokenIsRefused() async throws {
        let (sandbox, sandboxURL) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--auth-token", Self.token])
        let proxy = try ProxyProcess(["serve", "--url", sandboxURL.absoluteString])
        try await stopping([proxy, sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1)
            #expect(reply["error"] != nil, "\(reply)")
            #expect(reply["error"]?["data"]?["upstream_status"] == 401, "\(reply)")
        }
    }
}
