@testable import KeeperCore
import Testing

/// When the upstream link ends, the session opens a new one, replays the client's handshake on
/// it, sends again what is safe to repeat and fails what may already have been applied.
@Suite("Session: reconnect and replay", .timeLimit(.minutes(1)))
struct SessionReconnectTests {
    @Test("After the upstream dies, the handshake is replayed, a read in flight is retried and a write fails as outcome-unknown")
    func reconnectReplaysRetriesReadsAndFailsWrites() async throws {
        let harness = SessionHarness()
        let first = try await harness.firstServer()
        try await harness.legacyHandshake(on: first)

        harness.client.send(.request(id: RequestID(2), method: "resources/read", params: ["uri": "notion://page/1"]))
        harness.client.send(.request(id: RequestID(3), method: "tools/call", params: ["name": "create-page", "arguments": ["title": "x"]]))
        let sent = [try await first.receive(), try await first.receive()]
        #expect(Set(sent.compactMap(\.method)) == ["resources/read", "tools/call"])
        first.hangUp()

        let second = try await harness.connector.nextServer()
        let replayed = try await second.receive("initialize")
        #expect(replayed.params == legacyInitialize().params)
        second.send(try legacyInitializeResult(to: replayed))
        _ = try await second.receive("notifications/initialized")

        // The read's retry waits out its backoff on the retry clock; let it go once the link is back.
        await harness.retryClock.heldSleeps(atLeast: 1)
        harness.retryClock.releaseAll()
        let retried = try await second.receive("resources/read")
        #expect(retried.params?["uri"] == "notion://page/1")
        second.send(.response(id: try #require(retried.id), result: ["contents": [["uri": "notion://page/1", "text": "hello"]]]))

        var answers: [RequestID: JSONRPCMessage] = [:]
        for _ in 0..<2 {
            let answer = try await harness.client.receive()
            answers[try #require(answer.id)] = answer
        }
        #expect(answers[RequestID(2)]?.result?["contents"]?.arrayValue?.first?["text"] == "hello")
        let write = try #require(answers[RequestID(3)])
        guard case .errorResponse(_, let error) = write.kind else {
            Issue.record("the write was answered with \(write.body), not an error")
            return
        }
        #expect(error.code == JSONRPCError.outcomeUnknownCode)
        #expect(error.data?["outcome"] == "unknown")

        #expect(await harness.finish() == .clientClosed(upstream: "stopped by mcpkeeper"))
        // The write went to the first upstream only: nothing else reached the second.
        #expect(try second.unread().compactMap(\.method) == [])
    }
}
