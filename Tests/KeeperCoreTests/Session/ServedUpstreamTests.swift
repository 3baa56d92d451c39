@testable import KeeperCore
import Foundation
import Logging
import Testing

private let quiet = Logger(label: "served-upstream-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// The config's upstreams: one command upstream, whose links the tests make in memory.
private let fakeUpstream = #""upstreams": {"fake": {"command": "/bin/false"}}"#

/// A legacy upstream played in the test: it accepts the handshake, lists `delete-page` and `search`
/// (both read-only, so only a deny rule can refuse them), and answers every call, noting its name.
private final class ListingUpstream: Sendable {
    private let called = AsyncQueue<String>()
    private let serving: Task<Void, any Error>

    init(_ server: PeerEnd) {
        let called = called
        serving = Task {
            while let message = try await server.next() {
                guard let id = message.id else { continue }
                switch message.method {
                case "initialize":
                    server.send(try legacyInitializeResult(to: message))
                case "tools/list":
                    let readOnly: JSONValue = ["readOnlyHint": true]
                    server.send(.response(id: id, result: ["tools": [
                        ["name": "delete-page", "inputSchema": ["type": "object"], "annotations": readOnly],
                        ["name": "search", "inputSchema": ["type": "object"], "annotations": readOnly],
                    ]]))
                case "tools/call":
                    let name = message.params?["name"]?.stringValue ?? ""
                    _ = called.put(name)
                    server.send(.response(id: id, result: ["content": [["type": "text", "text": .string("called \(name)")]]]))
                default:
                    server.send(.response(id: id, result: [:]))
                }
            }
        }
    }

    /// The tools called upstream since the last look, in order.
    func takeCalls() -> [String] { called.drain() }

    deinit { serving.cancel() }
}

/// Serve's one stdio session over in-memory channels, assembled by the library from a config file.
private struct ServedSession {
    let upstream: ServedUpstream
    let client: PeerEnd
    let fake: ListingUpstream
    let running: Task<ServedUpstream.StdioEnd, Never>

    init(_ config: ServeConfigFile) async throws {
        let metrics = KeeperMetrics()
        let connector = MemoryConnector(name: "fake")
        upstream = try ServedUpstream(settings: try config.settings(metrics: metrics), metrics: metrics, logger: quiet,
                                      resolve: { try config.settings(metrics: metrics) }) { _, _, _, _ in connector.connect() }
        let downstream = MemoryChannel(name: "client")
        client = downstream.peer
        running = Task { [upstream] in await upstream.runStdioSession(downstream, stop: StopSignal()) { _ in nil } }
        fake = ListingUpstream(try await connector.nextServer())
        client.send(legacyInitialize())
        #expect(try await client.receive().result?["serverInfo"]?["name"] == "fake-legacy")
        client.send(.notification(method: "notifications/initialized"))
    }

    /// Calls `tool` as the client and returns the answer.
    func call(_ tool: String, id: Int) async throws -> JSONRPCMessage {
        client.send(.request(id: RequestID(id), method: "tools/call", params: ["name": .string(tool), "arguments": [:]]))
        let answer = try await client.receive()
        #expect(answer.id == RequestID(id))
        return answer
    }

    func finish() async -> ServedUpstream.StdioEnd {
        client.closeInput()
        return await running.value
    }
}

/// Whether `answer` is mcpkeeper's refusal of `tool` under the deny pattern `delete-*`.
private func isDenied(_ answer: JSONRPCMessage, tool: String) -> Bool {
    answer.body["error"]?["code"] == .number(JSONNumber(JSONRPCError.invalidParamsCode))
        && answer.body["error"]?["data"]?["tool"] == .string(tool)
        && answer.body["error"]?["message"]?.stringValue?.contains("the deny pattern \"delete-*\"") == true
}

@Suite("Serve's session as the library assembles it from a config, end to end over in-memory channels", .timeLimit(.minutes(1)))
struct ServedUpstreamTests {
    @Test("A tool the config's policy denies is refused, and the call never reaches the upstream")
    func configuredPolicyRefusesTheCall() async throws {
        let config = try ServeConfigFile(#"""
        {"state_dir": "STATE_DIR", "policy": {"deny": ["delete-*"]}, \#(fakeUpstream)}
        """#)
        let session = try await ServedSession(config)
        #expect(isDenied(try await session.call("delete-page", id: 1), tool: "delete-page"))
        #expect(try await session.call("search", id: 2).result?["content"]?.arrayValue?.first?["text"] == "called search")
        #expect(session.fake.takeCalls() == ["search"])
        #expect(await session.finish() == .session(.clientClosed(upstream: "stopped by mcpkeeper")))
    }

    @Test("A reload rebuilds the stages from the new config: the open session's next call meets the new policy, and a bad config keeps it")
    func reloadAppliesTheNewPolicy() async throws {
        let config = try ServeConfigFile(#"{"state_dir": "STATE_DIR", \#(fakeUpstream)}"#)
        let session = try await ServedSession(config)
        #expect(try await session.call("delete-page", id: 1).result != nil)

        try config.rewrite(#"{"state_dir": "STATE_DIR", "policy": {"deny": ["delete-*"]}, \#(fakeUpstream)}"#)
        await session.upstream.reload()
        // A policy change may change the tool list, so the open session is told.
        _ = try await session.client.receive("notifications/tools/list_changed")
        #expect(isDenied(try await session.call("delete-page", id: 2), tool: "delete-page"))

        try config.rewrite(#"{"state_dir": "STATE_DIR", "policy": {"deny": "delete-*"}, \#(fakeUpstream)}"#)
        await session.upstream.reload()
        #expect(session.upstream.reloadStatus.notice != nil)
        #expect(isDenied(try await session.call("delete-page", id: 3), tool: "delete-page"))
        #expect(session.fake.takeCalls() == ["delete-page"])
        _ = await session.finish()
    }

    @Test("An upstream that cannot start: each request is answered with why, until the client leaves")
    func unstartableUpstream() async throws {
        let config = try ServeConfigFile(#"{"state_dir": "STATE_DIR", \#(fakeUpstream)}"#)
        let upstream = try ServedUpstream(settings: try config.settings(), metrics: KeeperMetrics(), logger: quiet,
                                          resolve: { try config.settings() }) { _, _, _, _ throws(SpawnError) in
            throw SpawnError(executable: "/bin/false", errno: ENOENT)
        }
        let downstream = MemoryChannel(name: "client")
        let running = Task { await upstream.runStdioSession(downstream, stop: StopSignal()) { _ in nil } }
        downstream.peer.send(legacyInitialize())
        let answer = try await downstream.peer.receive()
        #expect(answer.id == RequestID(0))
        #expect(answer.body["error"]?["message"]?.stringValue?.contains("upstream 'fake' cannot be started") == true)
        downstream.peer.closeInput()
        #expect(await running.value == .unstartable)
    }
}
