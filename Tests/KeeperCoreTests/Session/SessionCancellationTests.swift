@testable import KeeperCore
import Testing

/// A client's `notifications/cancelled` follows its request upstream under the id the upstream
/// knows, and the client gets no answer to what it cancelled.
@Suite("Session: cancellation", .timeLimit(.minutes(1)))
struct SessionCancellationTests {
    @Test("A cancellation reaches the upstream under the upstream's id, and no answer follows it")
    func cancellationFollowsTheRequestUpstream() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        try await harness.legacyHandshake(on: server)

        harness.client.send(.request(id: .string("call-1"), method: "tools/call", params: ["name": "slow", "arguments": [:]]))
        let call = try await server.receive("tools/call")
        let upstreamID = try #require(call.id)
        #expect(upstreamID != .string("call-1"))

        harness.client.send(.notification(method: "notifications/cancelled", params: ["requestId": "call-1", "reason": "user gave up"]))
        let cancelled = try await server.receive("notifications/cancelled")
        #expect(cancelled.params?["requestId"] == upstreamID.json)
        #expect(cancelled.params?["reason"] == "user gave up")

        // A later request is answered; the cancelled one never is, up to the session's end.
        harness.client.send(.request(id: RequestID(9), method: "ping"))
        let ping = try await server.receive("ping")
        server.send(.response(id: try #require(ping.id), result: [:]))
        let next = try await harness.client.receive()
        #expect(next.id == RequestID(9))
        _ = await harness.finish()
        #expect(try harness.client.unread().map(\.id) == [])
    }
}
