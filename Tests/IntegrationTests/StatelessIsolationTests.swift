import Foundation
import KeeperCore
import Testing

@Suite("Stateless (2026-07-28) HTTP clients sharing one upstream never see each other's messages")
struct StatelessIsolationTests {
    /// A modern `tools/call` of API-post-search whose query is `secret`, with `_meta` logLevel when given.
    static func search(_ id: Int, secret: String, logLevel: String?) -> JSONValue {
        var meta: JSONObject = [
            ModernMeta.protocolVersion: .string(MCPProtocolVersion.v2026_07_28.rawValue),
            ModernMeta.clientCapabilities: [:], ModernMeta.clientInfo: ["name": "isolation", "version": "1"],
        ]
        if let logLevel { meta[ModernMeta.logLevel] = .string(logLevel) }
        return ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": "tools/call",
                "params": ["name": "API-post-search", "arguments": ["query": .string(secret)], "_meta": .object(meta)]]
    }

    static func post(_ client: MCPHTTPClient, _ message: JSONValue) async throws -> HTTPReply {
        try await client.post(message, headers: [
            "MCP-Protocol-Version": MCPProtocolVersion.v2026_07_28.rawValue, "Mcp-Method": "tools/call", "Mcp-Name": "API-post-search",
        ])
    }

    static func logs(in reply: HTTPReply) -> [String] {
        reply.messages.filter { $0["method"] == "notifications/message" }.map { $0.serialized() }
    }

    @Test("a call's log goes to its own client only when it asked for logs; concurrent clients get none of each other's")
    func logsStayWithTheirClient() async throws {
        try await HTTPListenerTests.withListener(sandbox: ["--log-calls", "--latency", "300ms"]) { listener in
            let client = listener.client
            // Alone and asking for logs: its own log reaches it (what makes the rest of the test meaningful).
            let alone = try await Self.post(client, Self.search(1, secret: "alpha-secret-1", logLevel: "info"))
            #expect(alone.status == 200, "\(alone.text)")
            #expect(Self.logs(in: alone).contains { $0.contains("alpha-secret-1") }, "\(alone.text)")

            // Alone but not asking: the upstream still logs (A turned it on), yet nothing reaches B.
            let quiet = try await Self.post(client, Self.search(2, secret: "bravo-secret-2", logLevel: nil))
            #expect(quiet.status == 200)
            #expect(Self.logs(in: quiet).isEmpty, "\(quiet.text)")

            // Two clients at once: neither may see the other's arguments.
            async let a = Self.post(client, Self.search(3, secret: "alpha-secret-3", logLevel: "debug"))
            async let b = Self.post(client, Self.search(3, secret: "bravo-secret-3", logLevel: "debug"))
            let (replyA, replyB) = try await (a, b)
            #expect(replyA.status == 200 && replyB.status == 200)
            #expect(!replyA.text.contains("bravo-secret-3"), "\(replyA.text)")
            #expect(!replyB.text.contains("alpha-secret-3"), "\(replyB.text)")
            #expect(replyA.messages.last?["result"] != nil && replyB.messages.last?["result"] != nil, "each got its own answer")
        }
    }
}
