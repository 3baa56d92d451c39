@testable import KeeperCore
import Testing

/// The session gives every request its own id on the far side and maps answers back, so ids that
/// collide (on one side, or across the two directions) never cross.
@Suite("Session: id remapping", .timeLimit(.minutes(1)))
struct SessionIDRemapTests {
    @Test("A number id and a string id that read alike each get their own answer, under their own id")
    func alikeIDsComeBackAsSent() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        try await harness.legacyHandshake(on: server)

        harness.client.send(.request(id: RequestID(7), method: "tools/call", params: ["name": "search", "arguments": ["q": "number"]]))
        harness.client.send(.request(id: .string("7"), method: "tools/call", params: ["name": "search", "arguments": ["q": "string"]]))
        let first = try await server.receive("tools/call")
        let second = try await server.receive("tools/call")

        // The proxy counts its own upstream ids from 1; its replayable initialize took 1.
        #expect(Set([first.id, second.id]) == [RequestID(2), RequestID(3)])
        for request in [second, first] {
            let query = try #require(request.params?["arguments"]?["q"])
            server.send(.response(id: try #require(request.id), result: ["content": [["type": "text", "text": query]]]))
        }
        var answered: [RequestID: JSONValue] = [:]
        for _ in 0..<2 {
            let answer = try await harness.client.receive()
            answered[try #require(answer.id)] = answer.result?["content"]?.arrayValue?.first?["text"]
        }
        #expect(answered == [RequestID(7): "number", .string("7"): "string"])
        #expect(await harness.finish() == .clientClosed(upstream: "stopped by mcpkeeper"))
    }

    @Test("A server's request reaches the client under the proxy's id, and the answer goes back under the server's")
    func serverRequestsAreRemappedBothWays() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        try await harness.legacyHandshake(on: server)

        server.send(.request(id: .string("ask-1"), method: "roots/list"))
        let question = try await harness.client.receive()
        #expect(question.method == "roots/list")
        #expect(question.id == RequestID(1))
        harness.client.send(.response(id: RequestID(1), result: ["roots": []]))

        let answer = try await server.receive()
        #expect(answer.id == .string("ask-1"))
        #expect(answer.result?["roots"] == [])
        _ = await harness.finish()
    }
}
