import Foundation
import KeeperCore
import Testing

@Suite("Notion-aware error hints")
struct NotionHintStageTests {
    /// The upstream's answer exactly as it came off the wire.
    func upstreamReply(_ line: String, attempts: Int = 1) throws -> Reply {
        var reply = Reply(.upstream(try JSONRPCMessage.decode(Array(line.utf8))))
        reply.attempts = attempts
        return reply
    }

    func notionError(_ status: Int, _ code: String) -> String {
        let text = #"{"object":"error","status":\#(status),"code":"\#(code)","message":"Something about \#(code)."}"#
        return JSONValue.object(["jsonrpc": "2.0", "id": 7, "result": ["content": [["type": "text", "text": .string(text)]]]]).serialized()
    }

    func result(of reply: Reply) -> JSONValue? {
        if case .upstream(let message) = reply.outcome { return message.result }
        return nil
    }

    @Test("each Notion error code becomes isError with Notion's text kept and one remediation added",
          arguments: [(404, "object_not_found", "Connections"), (401, "unauthorized", "revoked"), (403, "restricted_resource", "Capabilities"),
                      (400, "validation_error", "schema"), (409, "conflict_error", "fetch it again"), (429, "rate_limited", "after 5 attempts"),
                      (500, "internal_server_error", "status.notion.so"), (503, "service_unavailable", "status.notion.so")])
    func hintPerCode(status: Int, code: String, mentions: String) async throws {
        let metrics = KeeperMetrics()
        let line = notionError(status, code)
        let reply = try await NotionHintStage(metrics: metrics).handle(makeToolCall("API-retrieve-a-page")) { _ in try upstreamReply(line, attempts: 5) }
        let marked = try #require(result(of: reply))
        let original = try JSONParser.parse(line)["result"]?["content"]?.arrayValue?.first
        #expect(marked["isError"] == true)
        let content = try #require(marked["content"]?.arrayValue)
        #expect(content.count == 2)
        #expect(content.first == original)
        let hint = try #require(content.last?["text"]?.stringValue)
        #expect(hint.hasPrefix(NotionHintStage.prefix))
        #expect(hint.contains(mentions), "\(hint)")
        #expect(!hint.contains("\n"))
        #expect(metrics.exposition().contains(#"mcpkeeper_notion_errors_total{upstream="notion",code="\#(code)"} 1"#))
    }

    @Test("an ordinary result passes byte for byte, and so does a text that merely mentions an error")
    func ordinaryResultsUnchanged() async throws {
        let lines = [
            #"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"{\"object\":\"page\",\"id\":\"a\",\"n\":1.50}"}]}}"#,
            #"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"the word \"error\" and \"code\" in prose"}]}}"#,
            #"{"jsonrpc":"2.0","id":7,"error":{"code":-32602,"message":"bad"}}"#,
        ]
        for line in lines {
            let reply = try await NotionHintStage(metrics: KeeperMetrics()).handle(makeToolCall("API-get-self")) { _ in try upstreamReply(line) }
            guard case .upstream(let message) = reply.outcome else { Issue.record("not the upstream's answer"); continue }
            #expect(message.bytes == Array(line.utf8))
        }
    }

    @Test("Notion's error object is found wherever its keys sit, and short or foreign texts are no error", arguments: [
        (#"{"object":"error","status":429,"code":"rate_limited","message":"Slow down."}"#, "rate_limited"),
        (#"{"message":"Nope.","code":"object_not_found","status":404,"object":"error"}"#, "object_not_found"),
        (#"  {"code":"unauthorized","object":"error","status":401}"#, "unauthorized"),
        (#"the words "error" and "code""#, nil),
        (#""code""#, nil),
        ("", nil),
        ("ünïcode \"error\" \"code\"", nil),
    ] as [(String, String?)])
    func parsing(_ text: String, _ code: String?) {
        let verdict = NotionOutcomeClassifier().classify(result: ["content": [["type": "text", "text": .string(text)]]], now: Date())
        #expect(verdict.code == code)
    }

    @Test("results of other methods are never touched")
    func otherMethods() async throws {
        let line = notionError(404, "object_not_found")
        let reply = try await NotionHintStage(metrics: KeeperMetrics()).handle(makeExchange(method: "resources/read")) { _ in try upstreamReply(line) }
        guard case .upstream(let message) = reply.outcome else { Issue.record("not the upstream's answer"); return }
        #expect(message.bytes == Array(line.utf8))
    }
}

@Suite("doctor's checks of tokens and OPENAPI_MCP_HEADERS")
struct DoctorChecksTests {
    let token = "ntn_" + String(repeating: "a1B2", count: 11) + "xy"

    @Test("a good OPENAPI_MCP_HEADERS passes and shows only the token's prefix and length")
    func goodHeaders() {
        let finding = NotionHeadersCheck.check(#"{"Authorization": "Bearer \#(token)", "Notion-Version": "2022-06-28"}"#, check: "h")
        #expect(finding.status == .ok)
        #expect(finding.line.contains("ntn_… (50 characters)"))
        #expect(!finding.line.contains(token))
    }

    @Test("malformed OPENAPI_MCP_HEADERS values fail with what is wrong and never show the token",
          arguments: [(#"{"Authorization": "Bearer TOKEN" "Notion-Version": "2022-06-28"}"#, "not valid JSON"),
                      (#"{"Notion-Version": "2022-06-28"}"#, "no Authorization"),
                      (#"{"Authorization": "TOKEN", "Notion-Version": "2022-06-28"}"#, "Bearer"),
                      (#"{"Authorization": "Bearer TOKEN"}"#, "Notion-Version"),
                      (#"["Bearer TOKEN"]"#, "not an object")])
    func badHeaders(value: String, mentions: String) {
        let finding = NotionHeadersCheck.check(value.replacingOccurrences(of: "TOKEN", with: token), check: "h")
        #expect(finding.status == .fail)
        #expect(finding.message.contains(mentions), "\(finding.message)")
        #expect(finding.fix != nil)
        #expect(!finding.line.contains(token))
    }

    @Test("token shapes: ntn_ and secret_ tokens pass, anything else says why without showing it")
    func tokenShapes() {
        #expect(NotionTokenShape.problem(token) == nil)
        #expect(NotionTokenShape.problem("secret_" + String(repeating: "Z9", count: 20)) == nil)
        #expect(NotionTokenShape.problem("Bearer " + token)?.contains("Bearer") == true)
        #expect(NotionTokenShape.problem(" " + token)?.contains("spaces") == true)
        #expect(NotionTokenShape.problem("ghp_abcdefghijklmnopqrstuvwxyz")?.contains("ntn_") == true)
        #expect(NotionTokenShape.describe("ghp_abcdefghijklmnopqrstuvwxyz") == "… (30 characters)")
    }

    @Test("the report exits 0 when all is OK, 1 with a warning, 2 with a failure")
    func exitCodes() {
        #expect(DoctorReport(findings: [DoctorFinding(.ok, "a", "fine")]).exitCode == 0)
        #expect(DoctorReport(findings: [DoctorFinding(.ok, "a", "fine"), DoctorFinding(.warn, "b", "hm", fix: "x")]).exitCode == 1)
        #expect(DoctorReport(findings: [DoctorFinding(.fail, "c", "no", fix: "y"), DoctorFinding(.warn, "b", "hm")]).exitCode == 2)
    }
}
