@testable import KeeperCore
import Testing

/// `EraNegotiation` in a real session: a link's era is learned once, from a `server/discover`
/// probe, and learned again on each new link; same-era modern traffic passes with what the modern
/// era requires of results.
@Suite("Eras: negotiation per link", .timeLimit(.minutes(1)))
struct EraNegotiationTests {
    static let discoverResult: JSONValue = [
        "supportedVersions": ["2026-07-28"], "capabilities": ["tools": [:]],
        "_meta": ["io.modelcontextprotocol/serverInfo": ["name": "fake-modern", "version": "3.0"]],
    ]

    static func modernList(_ id: Int) -> JSONRPCMessage {
        .request(id: RequestID(id), method: "tools/list", params: ModernClientBridgeTests.modernParams())
    }

    /// A modern client's `tools/list` on a link whose era is not known yet: probed first, then passed.
    static func probedList(_ id: Int, _ harness: SessionHarness, on server: PeerEnd) async throws -> JSONRPCMessage {
        harness.client.send(modernList(id))
        let probe = try await server.receive("server/discover")
        #expect(probe.params?["_meta"]?["io.modelcontextprotocol/clientInfo"]?["name"] == "modern-client")
        server.send(.response(id: try #require(probe.id), result: discoverResult))
        return try await server.receive("tools/list")
    }

    @Test("A modern upstream is probed once per link; its results gain resultType, cache hints and serverInfo")
    func probedOncePerLink() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()

        let first = try await Self.probedList(1, harness, on: server)
        #expect(first.params?["_meta"]?["io.modelcontextprotocol/protocolVersion"] == "2026-07-28")
        server.send(.response(id: try #require(first.id), result: ["tools": []]))
        let answer = try await harness.client.receive()
        #expect(answer.id == RequestID(1))
        #expect(answer.result?["resultType"] == "complete")
        #expect(answer.result?["ttlMs"] == 0)
        #expect(answer.result?["cacheScope"] == "private")
        #expect(answer.result?["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "fake-modern")

        // The link's era is known now: the next request goes straight on.
        harness.client.send(Self.modernList(2))
        let second = try await server.receive("tools/list")
        server.send(.response(id: try #require(second.id), result: ["tools": [], "resultType": "complete", "ttlMs": 60000, "cacheScope": "public"]))
        let kept = try await harness.client.receive()
        #expect(kept.result?["ttlMs"] == 60000)
        #expect(kept.result?["cacheScope"] == "public")
        _ = await harness.finish()
    }

    @Test("A new link's era is learned again: the reconnected upstream is probed before the next request")
    func learnedAgainAfterReconnect() async throws {
        let harness = SessionHarness()
        let first = try await harness.firstServer()
        let list = try await Self.probedList(1, harness, on: first)
        first.send(.response(id: try #require(list.id), result: ["tools": []]))
        _ = try await harness.client.receive()
        first.hangUp()

        let second = try await harness.connector.nextServer()
        let relisted = try await Self.probedList(2, harness, on: second)
        second.send(.response(id: try #require(relisted.id), result: ["tools": []]))
        #expect(try await harness.client.receive().id == RequestID(2))
        _ = await harness.finish()
    }
}
