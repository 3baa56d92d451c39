@testable import KeeperCore
import Testing

/// A 2025-03-26 stdio client's batch: each member goes upstream on its own, and the answers come
/// back together as one JSON array, whatever order the upstream answered in.
@Suite("Session: stdio batches", .timeLimit(.minutes(1)))
struct SessionBatchTests {
    @Test("a batch's requests are answered as one array, in the order the answers arrived, and a notification in it is forwarded")
    func answersTogether() async throws {
        let harness = SessionHarness()
        let server = try await harness.firstServer()
        harness.client.send(.request(id: RequestID(0), method: "initialize", params: [
            "protocolVersion": "2025-03-26", "capabilities": [:], "clientInfo": ["name": "batching-client", "version": "1.0"],
        ]))
        let initialize = try await server.receive("initialize")
        server.send(.response(id: try #require(initialize.id), result: [
            "protocolVersion": "2025-03-26", "capabilities": ["tools": [:]], "serverInfo": ["name": "fake-2025-03-26", "version": "1.0"],
        ]))
        #expect(try await harness.client.receive().result?["protocolVersion"] == "2025-03-26")
        harness.client.send(.notification(method: "notifications/initialized"))
        _ = try await server.receive("notifications/initialized")

        harness.client.send(raw: #"[{"jsonrpc":"2.0","id":"a","method":"tools/list"},{"jsonrpc":"2.0","method":"notifications/roots/list_changed"},{"jsonrpc":"2.0","id":9,"method":"ping"}]"#)
        var requests: [String: JSONRPCMessage] = [:]
        for _ in 0..<3 {
            let message = try await server.receive()
            requests[try #require(message.method)] = message
        }
        #expect(requests["notifications/roots/list_changed"] != nil)
        server.send(.response(id: try #require(requests["ping"]?.id), result: [:]))
        server.send(.response(id: try #require(requests["tools/list"]?.id), result: ["tools": []]))

        let line = try #require(await harness.client.output.next())
        guard case .array(let answers)? = try? JSONParser.parse(line) else {
            Issue.record("the answers did not come as one JSON array: \(String(decoding: line, as: UTF8.self))"); return
        }
        #expect(answers.map { $0["id"] } == [9, "a"])
        #expect(answers.last?["result"]?["tools"] == [])
        _ = await harness.finish()
    }
}
