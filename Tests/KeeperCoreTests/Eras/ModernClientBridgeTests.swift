@testable import KeeperCore
import Testing

/// `ModernClientBridge` in a real session: a modern client on a fake legacy upstream, driven message
/// by message, for what the bridge answers itself and how it relays the upstream's questions.
@Suite("Eras: a modern client on a legacy upstream", .timeLimit(.minutes(1)))
struct ModernClientBridgeTests {
    static func modernParams(_ params: JSONObject = [:], capabilities: JSONValue = [:]) -> JSONValue {
        var params = params
        params["_meta"] = [
            "io.modelcontextprotocol/protocolVersion": "2026-07-28",
            "io.modelcontextprotocol/clientCapabilities": capabilities,
            "io.modelcontextprotocol/clientInfo": ["name": "modern-client", "version": "2.0"],
        ]
        return .object(params)
    }

    /// The upstream refuses `server/discover` (it is legacy), then takes the `initialize` the bridge sends.
    static func refuseDiscoverThenInitialize(_ server: PeerEnd, capabilities: JSONValue = ["tools": [:]]) async throws {
        let discover = try await server.receive("server/discover")
        server.send(.error(id: discover.id, JSONRPCError(code: JSONRPCError.methodNotFoundCode, message: "Method not found: server/discover")))
        let initialize = try await server.receive("initialize")
        server.send(.response(id: try #require(initialize.id), result: [
            "protocolVersion": "2025-06-18", "capabilities": capabilities, "serverInfo": ["name": "fake-legacy", "version": "1.0"],
        ]))
        _ = try await server.receive("notifications/initialized")
    }

    @Test("The client's server/discover is answered from the legacy upstream's initialize result")
    func discoverFromInitialize() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()

        harness.client.send(.request(id: RequestID(1), method: "server/discover", params: Self.modernParams()))
        try await Self.refuseDiscoverThenInitialize(server)
        let answer = try await harness.client.receive()
        #expect(answer.id == RequestID(1))
        #expect(answer.result?["supportedVersions"] == ["2026-07-28"])
        #expect(answer.result?["capabilities"] == ["tools": [:]])
        #expect(answer.result?["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "fake-legacy")
        _ = await harness.finish()
    }

    @Test("An upstream question during a call comes back as input-required; the retry's answer goes on to the running call")
    func questionBecomesInputRequired() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        let capabilities: JSONValue = ["elicitation": [:]]

        harness.client.send(.request(id: RequestID(1), method: "tools/call",
                                     params: Self.modernParams(["name": "confirm", "arguments": [:]], capabilities: capabilities)))
        try await Self.refuseDiscoverThenInitialize(server)
        let call = try await server.receive("tools/call")
        #expect(call.params?["_meta"] == nil)
        server.send(.request(id: RequestID.string("q1"), method: "elicitation/create", params: ["message": "Sure?"]))

        let parked = try await harness.client.receive()
        #expect(parked.id == RequestID(1))
        #expect(parked.result?["resultType"] == "input_required")
        // Named by the capability it needs and numbered per session.
        let name = "elicitation-1"
        #expect(parked.result?["inputRequests"]?[name]?["method"] == "elicitation/create")
        let state = try #require(parked.result?["requestState"])

        harness.client.send(.request(id: RequestID(2), method: "tools/call", params: Self.modernParams(
            ["name": "confirm", "arguments": [:], "requestState": state, "inputResponses": .object([name: ["action": "accept"]])],
            capabilities: capabilities)))
        let answered = try await server.receive()
        #expect(answered.id == RequestID.string("q1"))
        #expect(answered.result == ["action": "accept"])
        server.send(.response(id: try #require(call.id), result: ["content": []]))

        let answer = try await harness.client.receive()
        #expect(answer.id == RequestID(2))
        #expect(answer.result?["resultType"] == "complete")
        #expect(answer.result?["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "fake-legacy")
        _ = await harness.finish()
    }

    @Test("subscriptions/listen is served from the upstream's notifications, and ends complete at shutdown")
    func listenServedFromNotifications() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()

        harness.client.send(.request(id: RequestID(1), method: "subscriptions/listen",
                                     params: Self.modernParams(["notifications": ["toolsListChanged": true, "promptsListChanged": true]])))
        try await Self.refuseDiscoverThenInitialize(server, capabilities: ["tools": ["listChanged": true]])
        let acknowledged = try await harness.client.receive("notifications/subscriptions/acknowledged")
        // Only what the upstream can announce is honoured.
        #expect(acknowledged.params?["notifications"] == ["toolsListChanged": true])

        server.send(.notification(method: "notifications/prompts/list_changed"))
        server.send(.notification(method: "notifications/tools/list_changed"))
        let change = try await harness.client.receive()
        #expect(change.method == "notifications/tools/list_changed")
        #expect(change.params?["_meta"]?["io.modelcontextprotocol/subscriptionId"] == 1)

        harness.client.closeInput()
        let end = try await harness.client.receive()
        #expect(end.id == RequestID(1))
        #expect(end.result?["resultType"] == "complete")
        _ = await harness.finish()
    }
}
