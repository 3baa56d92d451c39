@testable import KeeperCore
import Testing

/// A request handed over with its own way back (an HTTP POST) is answered there, not through the
/// client channel, and the headers it came with go on to the upstream with it.
@Suite("Session: paired requests", .timeLimit(.minutes(1)))
struct SessionPairedRequestTests {
    @Test("a paired request's answer goes to its own route under the client's id, and its headers reach the upstream")
    func answeredOnItsRoute() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        try await harness.legacyHandshake(on: server)
        // The handshake's own requests went out as exchanges too, with no headers.
        #expect(await server.requestHeaders.next() == [:])

        let answers = harness.client.sendPaired(.request(id: RequestID(5), method: "tools/call", params: ["name": "search", "arguments": [:]]),
                                                headers: ["Mcp-Param-Region": "eu-west"])
        let call = try await server.receive("tools/call")
        #expect(await server.requestHeaders.next() == ["Mcp-Param-Region": "eu-west"])
        server.send(.response(id: try #require(call.id), result: ["content": []]))

        let answer = try #require(await answers.next())
        #expect(answer.id == RequestID(5))
        #expect(answer.result?["content"] == [])
        #expect(try harness.client.unread().isEmpty, "the answer also went through the client channel")
        _ = await harness.finish()
    }

    @Test("a paired request the session refuses is refused on its route, and an upstream's error there has no secret in it")
    func refusalsTakeTheRoute() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        try await harness.legacyHandshake(on: server)
        _ = await server.requestHeaders.next()

        let duplicate = harness.client.sendPaired(.request(id: RequestID(9), method: "tools/call", params: ["name": "slow", "arguments": [:]]))
        let call = try await server.receive("tools/call")
        let refused = harness.client.sendPaired(.request(id: RequestID(9), method: "ping"))
        let refusal = try #require(await refused.next())
        #expect(refusal.id == RequestID(9))
        #expect(refusal.kind.error?.message.contains("already used") == true)

        // A token only this test uses: registering it changes nothing any other test sees.
        let token = "paired-route-token-5b1e07c3"
        SecretScrubber.shared.register(token)
        server.send(.error(id: call.id, JSONRPCError(code: -32000, message: "rejected Authorization: Bearer \(token)")))
        let error = try #require(await duplicate.next())
        #expect(error.id == RequestID(9))
        #expect(error.kind.error?.message == "rejected Authorization: Bearer [redacted]")
        #expect(try harness.client.unread().isEmpty)
        _ = await harness.finish()
    }
}
