@testable import KeeperCore
import Synchronization
import Testing

/// The proxy's own requests to the upstream (its tool list, a replayed `initialize`) go through the
/// stages that face the upstream, such as retry, and not through the client's.
@Suite("Session: the proxy's own requests", .timeLimit(.minutes(1)))
struct SessionOwnRequestTests {
    /// Records the methods it sees, as a client-facing or an upstream-facing stage.
    final class Witness: Stage {
        let facesUpstream: Bool
        private let seen = Mutex<[String]>([])

        init(facesUpstream: Bool) { self.facesUpstream = facesUpstream }

        var methods: [String] { seen.withLock { $0 } }

        func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
            seen.withLock { $0.append(exchange.method) }
            return try await next(exchange)
        }
    }

    @Test("the proxy's tool list, cut off by the upstream's death, is retried on the new link; only upstream-facing stages see it")
    func ownToolListRetried() async throws {
        let client = Witness(facesUpstream: false)
        let upstream = Witness(facesUpstream: true)
        let harness = SessionHarness(around: [client, upstream])
        let first = try await harness.firstServer()
        try await harness.legacyHandshake(on: first)

        let own = Task { try await harness.session.request("tools/list", params: nil) }
        _ = try await first.receive("tools/list")
        first.hangUp()

        let second = try await harness.connector.nextServer()
        let replayed = try await second.receive("initialize")
        second.send(try legacyInitializeResult(to: replayed))
        _ = try await second.receive("notifications/initialized")
        await harness.retryClock.heldSleeps(atLeast: 1)
        harness.retryClock.releaseAll()
        let listed = try await second.receive("tools/list")
        second.send(.response(id: try #require(listed.id), result: ["tools": [["name": "search", "inputSchema": ["type": "object"]]]]))

        let answer = try await own.value
        #expect(answer.result?["tools"]?.arrayValue?.first?["name"] == "search")
        #expect(upstream.methods == ["initialize", "tools/list", "initialize"],
                "the client's initialize, the own list once (retry is inside), and the replayed initialize")
        #expect(client.methods == ["initialize"], "the client's initialize, nothing of the proxy's")
        #expect(await harness.finish() == .clientClosed(upstream: "stopped by mcpkeeper"))
    }
}
