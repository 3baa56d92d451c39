import Foundation
import KeeperCore
import Testing

@Suite("JSON-RPC batches from the client, as the negotiated version has them")
struct BatchTests {
    static func initialized(_ version: String, log: String) async throws -> ProxyProcess {
        let proxy = try ProxyProcess(["serve", "--", try Binary.path(), "sandbox", "--received-log", log])
        var params = initializeParams.objectValue ?? [:]
        params["protocolVersion"] = .string(version)
        proxy.request(1, "initialize", .object(params))
        let (answer, _) = try await proxy.response(to: 1)
        #expect(answer["result"]?["protocolVersion"] == .string(version), "\(answer)")
        proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return proxy
    }

    static let batch = #"[{"jsonrpc":"2.0","id":2,"method":"tools/list"},{"jsonrpc":"2.0","id":3,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/x"}]"#

    @Test("2025-03-26: every request in a batch is handled and the answers come back as one array")
    func batchAnsweredAsBatch() async throws {
        let log = try temporaryDirectory().appendingPathComponent("received.jsonl").path
        let proxy = try await Self.initialized("2025-03-26", log: log)
        try await stopping([proxy]) {
            proxy.send(Self.batch)
            let answer = try await proxy.next()
            let answers = try #require(answer.arrayValue, "one array: \(answer)")
            #expect(Set(answers.compactMap { $0["id"]?.intValue }) == [2, 3])
            #expect(answers.allSatisfy { $0["result"] != nil }, "\(answers)")
        }
    }

    @Test("2025-06-18: batches are refused under each request's own id, and nothing in them is forwarded")
    func batchRefusedPerID() async throws {
        let log = try temporaryDirectory().appendingPathComponent("received.jsonl").path
        let proxy = try await Self.initialized("2025-06-18", log: log)
        try await stopping([proxy]) {
            proxy.send(Self.batch)
            var refused: Set<Int> = []
            for _ in 0..<2 {
                let answer = try await proxy.next()
                #expect(answer["error"]?["code"] == .number(JSONNumber(JSONRPCError.invalidRequestCode)), "\(answer)")
                #expect(answer["error"]?["message"]?.stringValue?.contains("not part of MCP 2025-06-18") == true, "\(answer)")
                if let id = answer["id"]?.intValue { refused.insert(id) }
            }
            #expect(refused == [2, 3])
            proxy.request(4, "ping")
            _ = try await proxy.response(to: 4)
            let received = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(!received.contains("tools/list"), "the upstream saw part of a refused batch: \(received)")
        }
    }
}

extension BatchTests {
    static func httpSession(_ listener: HTTPListenerTests.Listener, version: String) async throws -> MCPHTTPClient {
        var client = listener.client
        var params = initializeParams.objectValue ?? [:]
        params["protocolVersion"] = .string(version)
        try await client.initialize(params: .object(params))
        return client
    }

    @Test("over HTTP, 2025-03-26: a POSTed batch is answered with one JSON array; 2025-06-18: refused with 400 per id")
    func httpBatches() async throws {
        try await HTTPListenerTests.withListener { listener in
            let old = try await Self.httpSession(listener, version: "2025-03-26")
            let answered = try await old.post(raw: Array(Self.batch.utf8))
            #expect(answered.status == 200, "\(answered.text)")
            let answers = try #require(answered.json?.arrayValue, "\(answered.text)")
            #expect(Set(answers.compactMap { $0["id"]?.intValue }) == [2, 3])

            let new = try await Self.httpSession(listener, version: "2025-06-18")
            let refused = try await new.post(raw: Array(Self.batch.utf8))
            #expect(refused.status == 400, "\(refused.text)")
            let refusals = try #require(refused.json?.arrayValue, "\(refused.text)")
            #expect(Set(refusals.compactMap { $0["id"]?.intValue }) == [2, 3])
            #expect(refusals.allSatisfy { $0["error"]?["message"]?.stringValue?.contains("not part of MCP 2025-06-18") == true })
        }
    }
}
