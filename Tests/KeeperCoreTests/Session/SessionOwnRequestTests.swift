@testable import KeeperCore
import Logging
import Synchronization
import Testing

private let quiet = Logger(label: "own-request-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// An HTTP upstream's 429, naming its wait in `Retry-After`.
private func rateLimited(retryAfter seconds: Int) -> TransportError {
    .httpStatus(429, retryAfter: String(seconds), detail: "rate limited")
}

/// The session's tool catalog after the proxy asked `server` for the tool list itself.
private func refreshedCatalog(_ harness: SessionHarness, server: PeerEnd) async throws -> ToolCatalog {
    let catalog = await harness.session.tools
    let refresh = Task { try await catalog.refreshIfNeeded(using: harness.session) }
    server.send(try toolList(to: try await server.receive("tools/list")))
    try await refresh.value
    return catalog
}

/// The upstream's answer to a `tools/list`: `delete-page` and `search`.
private func toolList(to request: JSONRPCMessage) throws -> JSONRPCMessage {
    .response(id: try #require(request.id), result: ["tools": .array([toolDefinition("delete-page"), toolDefinition("search")])])
}

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

    @Test("the proxy's own tools/list refused with 429 is retried after its Retry-After, and the catalog ends complete")
    func ownToolListRateLimited() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        try await harness.legacyHandshake(on: server)
        let catalog = await harness.session.tools
        harness.retryClock.releaseAll()
        let answering = Task { server.send(try toolList(to: try await server.receive("tools/list"))) }
        defer { answering.cancel() }

        harness.connector.refusals.refuseNext("tools/list", with: rateLimited(retryAfter: 2))
        try await catalog.refreshIfNeeded(using: harness.session)
        #expect(harness.retryClock.sleeps == [.seconds(2)])
        #expect(catalog.isComplete)
        #expect(catalog.tool(named: "search") != nil)
        _ = await harness.finish()
    }

    @Test("pacing counts the proxy's own request: the client's next request waits for the token it used")
    func pacingCountsOwnRequests() async throws {
        let pacingClock = ManualClock()
        let bucket = TokenBucket(rate: 1, burst: 2, queueLimit: 10, clock: pacingClock)
        let harness = SessionHarness(inside: [PacingStage(bucket: bucket, clock: pacingClock)])
        let server = try await harness.firstServer()
        // The client's initialize takes the first token of two.
        try await harness.legacyHandshake(on: server)

        _ = try await refreshedCatalog(harness, server: server)
        #expect(pacingClock.sleeps.isEmpty)

        harness.client.send(.request(id: RequestID(5), method: "ping"))
        let ping = try await server.receive("ping")
        server.send(.response(id: try #require(ping.id), result: [:]))
        #expect(try await harness.client.receive().id == RequestID(5))
        // No token was left, so the ping waited for the next one (the clock's time only moves by sleeps).
        #expect(pacingClock.sleeps == [.seconds(1)])
        _ = await harness.finish()
    }

    @Test("client-facing stages never see the proxy's own request: no metric counts it and the policy does not filter its list")
    func clientStagesDoNotSeeOwnRequests() async throws {
        let metrics = KeeperMetrics()
        var policy = PolicySettings()
        policy.deny = ["delete-*"]
        let upstreamSide = Witness(facesUpstream: true)
        let harness = SessionHarness(around: [MetricsStage(metrics: metrics),
                                              PolicyStage(policy: ToolPolicy(settings: policy), metrics: metrics, logger: quiet)],
                                     inside: [upstreamSide])
        let server = try await harness.firstServer()
        try await harness.legacyHandshake(on: server)

        let catalog = try await refreshedCatalog(harness, server: server)
        // The catalog learns the upstream's whole list; only the client's view of it is filtered.
        #expect(catalog.tool(named: "delete-page") != nil)
        #expect(upstreamSide.methods == ["initialize", "tools/list"])
        #expect(metrics.exposition().contains(#"method="initialize""#))
        #expect(!metrics.exposition().contains(#"method="tools/list""#))

        harness.client.send(.request(id: RequestID(6), method: "tools/list"))
        server.send(try toolList(to: try await server.receive("tools/list")))
        let listed = try await harness.client.receive()
        #expect(listed.result?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["search"])
        #expect(metrics.exposition().contains(#"method="tools/list""#))
        _ = await harness.finish()
    }

    @Test("after a reconnect, a replayed initialize refused with 429 is retried on the new link, which then serves the client")
    func replayedInitializeRateLimited() async throws {
        let harness = SessionHarness()
        let first = try await harness.firstServer()
        try await harness.legacyHandshake(on: first)

        harness.retryClock.releaseAll()
        harness.connector.refusals.refuseNext("initialize", with: rateLimited(retryAfter: 3))
        first.hangUp()
        let second = try await harness.connector.nextServer()
        // A refused initialize leaves the link's era open: the session probes, and this upstream is legacy.
        let discover = try await second.receive("server/discover")
        second.send(.error(id: discover.id, JSONRPCError(code: JSONRPCError.methodNotFoundCode, message: "Method not found")))
        // Without the retry, the session would have given this link up and hung up on it.
        try await second.acceptInitialize()
        #expect(harness.retryClock.sleeps == [.seconds(3)])
        _ = try await second.receive("notifications/initialized")

        harness.client.send(.request(id: RequestID(5), method: "ping"))
        let ping = try await second.receive("ping")
        second.send(.response(id: try #require(ping.id), result: [:]))
        #expect(try await harness.client.receive().id == RequestID(5))
        #expect(await harness.finish() == .clientClosed(upstream: "stopped by mcpkeeper"))
    }

    @Test("a bridge's own initialize (modern client, legacy upstream) refused with 429 is retried after its Retry-After")
    func bridgeInitializeRateLimited() async throws {
        let upstreamSide = Witness(facesUpstream: true)
        let harness = SessionHarness(inside: [upstreamSide])
        let server = try await harness.firstServer()
        harness.retryClock.releaseAll()
        harness.connector.refusals.refuseNext("initialize", with: rateLimited(retryAfter: 4))

        harness.client.send(.request(id: RequestID(1), method: "tools/list", params: ["_meta": SessionEraBridgeTests.modernMeta]))
        let discover = try await server.receive("server/discover")
        server.send(.error(id: discover.id, JSONRPCError(code: JSONRPCError.methodNotFoundCode, message: "Method not found: server/discover")))
        // Without the retry, the refused initialize would leave the legacy session unopened and fail the client's list.
        let initialize = try await server.receive("initialize")
        server.send(try legacyInitializeResult(to: initialize))
        #expect(harness.retryClock.sleeps == [.seconds(4)])
        _ = try await server.receive("notifications/initialized")
        let list = try await server.receive("tools/list")
        server.send(.response(id: try #require(list.id), result: ["tools": []]))

        let answer = try await harness.client.receive()
        #expect(answer.result?["tools"] == [], "\(answer.body)")
        #expect(upstreamSide.methods.filter { $0 == "initialize" }.count == 2, "both attempts of the bridge's initialize passed the upstream-facing stage inside retry")
        _ = await harness.finish()
    }
}
