import Foundation
import KeeperCore
import Testing

@Suite("Bridged calls that ask the modern client something")
struct BridgedCallTests {
    static func confirm(_ id: Int, on proxy: ProxyProcess, state: String? = nil, answers: JSONObject? = nil) async throws -> JSONValue {
        var params: JSONObject = ["name": "sandbox-confirm", "arguments": [:]]
        if let state { params["requestState"] = .string(state) }
        if let answers { params["inputResponses"] = .object(answers) }
        proxy.request(id, "tools/call", EraEdgeTests.modernParams(params))
        return try await proxy.response(to: .number(JSONNumber(id)), timeout: .seconds(20)).0
    }

    /// Each question of an input-required result answered as the era test client answers it.
    static func answers(to reply: JSONValue) -> JSONObject {
        var answers = JSONObject()
        for (name, request) in reply["result"]?["inputRequests"]?.objectValue ?? [:] {
            answers[name] = EraTestClient.answer(request["method"]?.stringValue ?? "")
        }
        return answers
    }

    @Test("a question from the legacy upstream while two calls are open is refused, never given to a guessed call; the first call still completes")
    func ambiguousQuestionRefused() async throws {
        let proxy = try EraEdgeTests.serve(["--client-request-tools"])
        try await stopping([proxy]) {
            let first = try await Self.confirm(1, on: proxy)
            #expect(first["result"]?["resultType"] == "input_required", "\(first)")
            let state = try #require(first["result"]?["requestState"]?.stringValue)
            let second = try await Self.confirm(2, on: proxy)
            #expect(second["result"]?["resultType"] != "input_required", "the second call's question could have been the first's: \(second)")
            #expect(proxy.stderr.contains("asked something while several bridged calls ran"))
            let finished = try await Self.confirm(3, on: proxy, state: state, answers: Self.answers(to: first))
            #expect(finished["result"]?["resultType"] == "complete", "\(finished)")
        }
    }

    @Test("a call left waiting for the client's answers expires after timeouts.input_wait, and its requestState is refused with why")
    func parkedCallExpires() async throws {
        let config = try temporaryDirectory().appendingPathComponent("config.json")
        try Data(#"{"upstreams": {"s": {"sandbox": {"client_request_tools": true}}}, "timeouts": {"input_wait": "1s"}}"#.utf8).write(to: config)
        let proxy = try ProxyProcess(["serve", "--config", config.path], environment: ["HOME": try temporaryDirectory().path])
        try await stopping([proxy]) {
            let first = try await Self.confirm(1, on: proxy)
            let state = try #require(first["result"]?["requestState"]?.stringValue, "\(first)")
            #expect(try await EraEdgeTests.waitFor("a call waiting for the client's answers expired", in: proxy, timeout: .seconds(20)))
            let late = try await Self.confirm(2, on: proxy, state: state, answers: Self.answers(to: first))
            #expect(late["error"]?["message"]?.stringValue?.contains("expired") == true, "\(late)")
        }
    }
}
