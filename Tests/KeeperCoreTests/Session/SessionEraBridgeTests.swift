@testable import KeeperCore
import Testing

/// Where the client and the upstream speak different MCP eras, the session bridges: each test
/// plays one era's client against a fake upstream of the other era.
@Suite("Session: era bridges", .timeLimit(.minutes(1)))
struct SessionEraBridgeTests {
    static let modernMeta: JSONValue = [
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": [:],
        "io.modelcontextprotocol/clientInfo": ["name": "modern-client", "version": "2.0"],
    ]

    @Test("A modern client on a legacy upstream gets resultType and the server's identity in _meta")
    func modernClientOnLegacyUpstream() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()

        harness.client.send(.request(id: RequestID(1), method: "tools/list", params: ["_meta": Self.modernMeta]))
        // The era probe: a legacy server does not know server/discover.
        let discover = try await server.receive("server/discover")
        server.send(.error(id: discover.id, JSONRPCError(code: JSONRPCError.methodNotFoundCode, message: "Method not found: server/discover")))
        // The proxy opens the legacy session itself, from the client's _meta.
        let initialize = try await server.receive("initialize")
        #expect(initialize.params?["clientInfo"]?["name"] == "modern-client")
        server.send(try legacyInitializeResult(to: initialize))
        _ = try await server.receive("notifications/initialized")
        let list = try await server.receive("tools/list")
        #expect(list.params?["_meta"]?["io.modelcontextprotocol/protocolVersion"] == nil)
        server.send(.response(id: try #require(list.id), result: ["tools": []]))

        let answer = try await harness.client.receive()
        #expect(answer.id == RequestID(1))
        #expect(answer.result?["tools"] == [])
        #expect(answer.result?["resultType"] == "complete")
        #expect(answer.result?["_meta"]?["io.modelcontextprotocol/serverInfo"] == ["name": "fake-legacy", "version": "1.0"])
        _ = await harness.finish()
    }

    @Test("A legacy client on a modern upstream that refuses initialize gets an initialize result from server/discover")
    func legacyClientOnModernUpstream() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        let discoverResult: JSONValue = [
            "supportedVersions": ["2026-07-28"],
            "capabilities": ["tools": [:]],
            "_meta": ["io.modelcontextprotocol/serverInfo": ["name": "fake-modern", "version": "3.0"]],
        ]

        harness.client.send(legacyInitialize())
        let initialize = try await server.receive("initialize")
        server.send(.error(id: initialize.id, .unsupportedProtocolVersion(requested: "2025-06-18", supported: ["2026-07-28"],
                                                                                          speaker: "fake-modern")))
        // The refusal is a modern error: the probe confirms the era, the bridge asks again for itself.
        for _ in 0..<2 {
            let discover = try await server.receive("server/discover")
            #expect(discover.params?["_meta"]?["io.modelcontextprotocol/clientInfo"]?["name"] == "test-client")
            server.send(.response(id: try #require(discover.id), result: discoverResult))
        }

        let answer = try await harness.client.receive()
        #expect(answer.id == RequestID(0))
        #expect(answer.result?["protocolVersion"] == "2025-06-18")
        #expect(answer.result?["serverInfo"] == ["name": "fake-modern", "version": "3.0"])
        #expect(answer.result?["capabilities"] == ["tools": [:]])
        _ = await harness.finish()
    }
}
