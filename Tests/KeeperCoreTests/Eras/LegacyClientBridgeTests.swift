@testable import KeeperCore
import Testing

/// `LegacyClientBridge` in a real session: a legacy client on a fake modern upstream, driven message
/// by message, for what the bridge answers itself and what it turns into modern requests.
@Suite("Eras: a legacy client on a modern upstream", .timeLimit(.minutes(1)))
struct LegacyClientBridgeTests {
    static func discoverResult(capabilities: JSONValue = ["tools": [:]]) -> JSONValue {
        ["supportedVersions": ["2026-07-28"], "capabilities": capabilities,
         "_meta": ["io.modelcontextprotocol/serverInfo": ["name": "fake-modern", "version": "3.0"]]]
    }

    /// The legacy client's handshake, bridged: the upstream refuses `initialize`, the probe and the
    /// bridge each ask `server/discover`, and `notifications/initialized` stays with the proxy.
    static func bridgedHandshake(_ harness: SessionHarness, on server: PeerEnd, initialize: JSONRPCMessage = legacyInitialize(),
                                 capabilities: JSONValue = ["tools": [:]]) async throws {
        harness.client.send(initialize)
        let refused = try await server.receive("initialize")
        server.send(.error(id: refused.id, .unsupportedProtocolVersion(requested: "2025-06-18", supported: ["2026-07-28"], speaker: "fake-modern")))
        for _ in 0..<2 {
            let discover = try await server.receive("server/discover")
            server.send(.response(id: try #require(discover.id), result: discoverResult(capabilities: capabilities)))
        }
        #expect(try await harness.client.receive().result?["serverInfo"]?["name"] == "fake-modern")
        harness.client.send(.notification(method: "notifications/initialized"))
    }

    @Test("ping and logging/setLevel are answered by the proxy; the level rides on later requests as _meta, resultType is dropped")
    func pingAndLogLevel() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        try await Self.bridgedHandshake(harness, on: server)

        harness.client.send(.request(id: RequestID(1), method: "ping", params: nil))
        harness.client.send(.request(id: RequestID(2), method: "logging/setLevel", params: ["level": "debug"]))
        // Each is answered by its own task: in either order.
        let answered = [try await harness.client.receive().id, try await harness.client.receive().id]
        #expect(Set(answered) == [RequestID(1), RequestID(2)])

        harness.client.send(.request(id: RequestID(3), method: "tools/list", params: nil))
        let list = try await server.receive("tools/list")
        #expect(list.params?["_meta"]?["io.modelcontextprotocol/logLevel"] == "debug")
        #expect(list.params?["_meta"]?["io.modelcontextprotocol/clientInfo"]?["name"] == "test-client")
        server.send(.response(id: try #require(list.id), result: ["resultType": "complete", "tools": []]))
        let answer = try await harness.client.receive()
        #expect(answer.id == RequestID(3))
        #expect(answer.result == ["tools": []])
        _ = await harness.finish()
    }

    @Test("An input-required result becomes a request to the client, and the call is retried with its answer")
    func inputRequiredBecomesAClientRequest() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        let initialize = JSONRPCMessage.request(id: RequestID(0), method: "initialize", params: [
            "protocolVersion": "2025-06-18", "capabilities": ["elicitation": [:]], "clientInfo": ["name": "test-client", "version": "1.0"],
        ])
        try await Self.bridgedHandshake(harness, on: server, initialize: initialize)

        harness.client.send(.request(id: RequestID(1), method: "tools/call", params: ["name": "confirm", "arguments": [:]]))
        let call = try await server.receive("tools/call")
        server.send(.response(id: try #require(call.id), result: [
            "resultType": "input_required", "requestState": "state-1",
            "inputRequests": ["ask": ["method": "elicitation/create", "params": ["message": "Sure?"]]],
        ]))
        let question = try await harness.client.receive("elicitation/create")
        #expect(question.params?["message"] == "Sure?")
        harness.client.send(.response(id: try #require(question.id), result: ["action": "accept"]))

        let retry = try await server.receive("tools/call")
        #expect(retry.params?["requestState"] == "state-1")
        #expect(retry.params?["inputResponses"] == ["ask": ["action": "accept"]])
        server.send(.response(id: try #require(retry.id), result: ["resultType": "complete", "content": []]))
        let answer = try await harness.client.receive()
        #expect(answer.id == RequestID(1))
        #expect(answer.result == ["content": []])
        _ = await harness.finish()
    }

    @Test("notifications/initialized opens the proxy's own subscription for the list changes the server announces")
    func initializedOpensTheProxysSubscription() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        try await Self.bridgedHandshake(harness, on: server, capabilities: ["tools": ["listChanged": true]])

        let listen = try await server.receive("subscriptions/listen")
        #expect(listen.params?["notifications"] == ["toolsListChanged": true])
        server.send(.notification(method: "notifications/subscriptions/acknowledged", params: [
            "_meta": ["io.modelcontextprotocol/subscriptionId": try #require(listen.id).json],
        ]))
        server.send(.notification(method: "notifications/tools/list_changed", params: [
            "_meta": ["io.modelcontextprotocol/subscriptionId": try #require(listen.id).json],
        ]))
        // The acknowledgement is the bridge's bookkeeping; the change reaches the client without it.
        let change = try await harness.client.receive()
        #expect(change.method == "notifications/tools/list_changed")
        #expect(change.params?["_meta"]?["io.modelcontextprotocol/subscriptionId"] == nil)
        _ = await harness.finish()
    }
}
