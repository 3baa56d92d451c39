@testable import KeeperCore
import Foundation
import Testing

private let now = Date(timeIntervalSince1970: 1_700_000_000)
private let notionRateLimit = #"{"object":"error","status":429,"code":"rate_limited","message":"You have been rate limited. Please try again in a few minutes.","request_id":"r1"}"#

private func text(_ text: String, isError: Bool? = nil, structured: JSONValue? = nil) -> JSONValue {
    var result: JSONObject = ["content": [["type": "text", "text": .string(text)]]]
    result["isError"] = isError.map(JSONValue.bool)
    result["structuredContent"] = structured
    return .object(result)
}

private func classify(_ result: JSONValue, rules: [NotionOutcomeRule] = []) -> NotionVerdict {
    NotionOutcomeClassifier(rules: rules).classify(result: result, now: now)
}

/// One shape a Notion MCP server answers in, and what the classifier must make of it.
struct Shape: Sendable, CustomTestStringConvertible {
    let name: String
    let result: JSONValue
    let outcome: NotionOutcome
    let rule: String
    let location: String
    var wait: Duration? = nil
    var testDescription: String { name }
}

@Suite("Notion outcome classifier")
struct NotionOutcomeClassifierTests {
    static let ldraneyText = #"""
    {
      "error": true,
      "status_code": 429,
      "message": "Client error '429 Too Many Requests' for url 'http://127.0.0.1:9/v1/pages/p1'",
      "details": {"object": "error", "status": 429, "code": "rate_limited", "message": "You have been rate limited."}
    }
    """#
    static let hostedText = #"{"error":{"code":"rate_limited","message":"Rate limited by Notion.","retry_after_seconds":12,"rate_limit_reason":"connection"}}"#
    static let armoryText = "Tool: get_page\nStatus: 429\nError: You have been rate limited. Please try again in a few minutes.\nRequest: GET /v1/pages/p1"

    static let shapes: [Shape] = [
        Shape(name: "official npm server: the whole text is Notion's error object", result: text(notionRateLimit),
              outcome: .rateLimited, rule: NotionVerdict.Rule.errorText, location: "/content/0/text#"),
        Shape(name: "official server with a retry_after field", result: text(#"{"object":"error","status":429,"code":"rate_limited","message":"x","retry_after":2}"#),
              outcome: .rateLimited, rule: NotionVerdict.Rule.errorText, location: "/content/0/text#", wait: .seconds(2)),
        Shape(name: "the error object in the second content item",
              result: ["content": [["type": "text", "text": "Calling Notion…"], ["type": "text", "text": .string(notionRateLimit)]]],
              outcome: .rateLimited, rule: NotionVerdict.Rule.errorText, location: "/content/1/text#"),
        Shape(name: "nested one level down under details, with structuredContent holding the same",
              result: text(ldraneyText, structured: ["result": .string(ldraneyText)]),
              outcome: .rateLimited, rule: NotionVerdict.Rule.errorNested, location: "/content/0/text#/details"),
        Shape(name: "plain text with the status, Notion's body in structuredContent",
              result: text(armoryText, isError: true, structured: ["status_code": 429, "error": .string(notionRateLimit)]),
              outcome: .rateLimited, rule: NotionVerdict.Rule.errorStructured, location: "/structuredContent/error#"),
        Shape(name: "plain text with the status and Notion's message only", result: text(armoryText),
              outcome: .rateLimited, rule: NotionVerdict.Rule.statusText, location: "/content/0/text"),
        Shape(name: "Notion's hosted server: isError, structuredContent.error with retry_after_seconds",
              result: text(hostedText, isError: true, structured: ["error": ["code": "rate_limited", "message": "Rate limited by Notion.",
                                                                             "retry_after_seconds": 12, "rate_limit_reason": "connection"]]),
              outcome: .rateLimited, rule: NotionVerdict.Rule.errorNested, location: "/content/0/text#/error", wait: .seconds(12)),
        Shape(name: "structuredContent only",
              result: ["content": [], "isError": true, "structuredContent": ["error": ["code": "unauthorized", "message": "API token is invalid."]]],
              outcome: .unauthorized, rule: NotionVerdict.Rule.errorStructured, location: "/structuredContent/error"),
        Shape(name: "a client library's APIResponseError with the body as a JSON string",
              result: text(#"{"name":"APIResponseError","code":"service_unavailable","status":503,"headers":{},"body":"{\"object\":\"error\",\"status\":503,\"code\":\"service_unavailable\",\"message\":\"Public API service is temporarily unavailable.\"}"}"#, isError: true),
              outcome: .serverError, rule: NotionVerdict.Rule.errorText, location: "/content/0/text#"),
        Shape(name: "a 404 as plain text in an isError result, status mid-sentence",
              result: text("Request failed with status code 404: Could not find page with ID: p1.", isError: true),
              outcome: .notFound, rule: NotionVerdict.Rule.statusText, location: "/content/0/text"),
        Shape(name: "Retry-After named in prose", result: text("HTTP 429 Too Many Requests: rate limited, retry after 3 seconds", isError: true),
              outcome: .rateLimited, rule: NotionVerdict.Rule.statusText, location: "/content/0/text", wait: .seconds(3)),
        Shape(name: "Retry-After in a headers object of the error", result: text(#"{"error":true,"status_code":429,"headers":{"Retry-After":"4"},"details":{"object":"error","status":429,"code":"rate_limited","message":"x"}}"#),
              outcome: .rateLimited, rule: NotionVerdict.Rule.errorNested, location: "/content/0/text#/details", wait: .seconds(4)),
        Shape(name: "retry_after_ms in milliseconds", result: text(#"{"object":"error","status":429,"code":"rate_limited","message":"x","retry_after_ms":1500}"#),
              outcome: .rateLimited, rule: NotionVerdict.Rule.errorText, location: "/content/0/text#", wait: .milliseconds(1500)),
        Shape(name: "an isError result with nothing of Notion's", result: text("Something broke.", isError: true),
              outcome: .otherError, rule: NotionVerdict.Rule.isError, location: "/isError"),
    ]

    @Test("every shape a server reports Notion's verdict in is recognised, with the rule, the place and the wait", arguments: shapes)
    func shape(_ shape: Shape) {
        let verdict = classify(shape.result)
        #expect(verdict.outcome == shape.outcome)
        #expect(verdict.rule == shape.rule)
        #expect(verdict.location == shape.location)
        #expect(verdict.retryAfter == shape.wait)
    }

    @Test("each of Notion's error codes has its class, in the official shape", arguments: [
        ("rate_limited", 429, NotionOutcome.rateLimited), ("service_overload", 529, .rateLimited), ("unauthorized", 401, .unauthorized),
        ("restricted_resource", 403, .restricted), ("object_not_found", 404, .notFound), ("validation_error", 400, .invalidRequest),
        ("invalid_json", 400, .invalidRequest), ("missing_version", 400, .invalidRequest), ("conflict_error", 409, .conflict),
        ("internal_server_error", 500, .serverError), ("service_unavailable", 503, .serverError),
        ("database_connection_unavailable", 503, .serverError), ("gateway_timeout", 504, .serverError),
    ])
    func codes(code: String, status: Int, outcome: NotionOutcome) {
        let verdict = classify(text(#"{"object":"error","status":\#(status),"code":"\#(code)","message":"m"}"#))
        #expect(verdict.outcome == outcome)
        #expect(verdict.status == status)
        #expect(verdict.code == code)
        #expect(verdict.message == "m")
    }

    @Test("an error object with an unknown code is classed by its status")
    func unknownCodeByStatus() {
        #expect(classify(text(#"{"object":"error","status":403,"code":"something_new","message":"m"}"#)).outcome == .restricted)
    }

    @Test("ordinary data that mentions 429, rate, error, status or a Notion code is success", arguments: [
        #"{"object":"list","results":[{"object":"page","properties":{"Status":{"status":{"name":"429"}},"Title":{"title":[{"plain_text":"rate limited rollout"}]}}}]}"#,
        #"{"object":"block","type":"code","code":{"language":"python","rich_text":[{"plain_text":"raise Error('rate_limited') # status 429"}]}}"#,
        #"{"object":"page","properties":{"code":{"rich_text":[{"plain_text":"unauthorized"}]},"error":{"number":429}}}"#,
        #"{"object":"list","results":[{"name":"code","code":"object_not_found"}]}"#,
        "Room 429 is rate limited for events; error budget at 401 minutes.",
        "Notes: the HTTP status 429 means too many requests, and 401 means unauthorized.",
        "The page says rate_limited in prose",
        #"[1, 2, "error", {"code": 429}]"#,
        "",
        // What a user wrote: blocks appended with Notion's rate-limit object as their text, as the append answers them.
        #"{"object":"list","results":[{"object":"block","type":"paragraph","paragraph":{"rich_text":[{"type":"text","text":{"content":"{\"object\":\"error\",\"status\":429,\"code\":\"rate_limited\",\"message\":\"x\"}"},"plain_text":"{\"object\":\"error\",\"status\":429,\"code\":\"rate_limited\",\"message\":\"x\"}"}]}}]}"#,
        #"{"object":"page","properties":{"Notes":{"rich_text":[{"plain_text":"{\"object\":\"error\",\"code\":\"rate_limited\",\"status\":429}"}]}}}"#,
        // Another server's own shape: the user's text under a key no server wraps a body in.
        #"{"pages":[{"title":"API notes","content":"{\"object\":\"error\",\"status\":429,\"code\":\"rate_limited\",\"message\":\"x\"}"}]}"#,
    ])
    func noFalsePositive(_ data: String) {
        #expect(classify(text(data)) == .success)
        #expect(classify(text(data, structured: (try? JSONParser.parse(data)) ?? .null)) == .success)
    }

    @Test("a 50 KB page that mentions 429 and rate is not parsed again, and classifies quickly")
    func largeResultsStayCheap() {
        var page = #"{"object":"page","id":"p1","properties":{"#
        var index = 0
        while page.utf8.count < 50_000 {
            page += #""Row \#(index)":{"rich_text":[{"plain_text":"status 429, rate 3 per second, code 401"}]},"#
            index += 1
        }
        page += #""end":{"number":1}}}"#
        #expect(NotionErrorSearch.parseIfErrorLike(page) == nil, "the byte tests alone rule it out")
        let result = text(page)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            for _ in 0..<50 { #expect(classify(result) == .success) }
        }
        // Generous for a debug build on a shared machine; a parse per call or a quadratic scan blows through it.
        #expect(elapsed < .seconds(2), "50 classifications of 50 KB took \(elapsed)")
    }

    @Test("only a text with a line that starts like a status line reaches the status pattern, unless it is an error's")
    func statusLineCandidates() {
        #expect(NotionStatusText.hasCandidateLine("Tool: x\n  Status: 429"))
        #expect(NotionStatusText.hasCandidateLine("429 Too Many Requests"))
        #expect(!NotionStatusText.hasCandidateLine(#"{"status":429,"message":"rate limited"}"#))
        #expect(NotionStatusText.read(#"{"status":429,"message":"rate limited"}"#, markedAsError: false) == nil)
        #expect(NotionStatusText.read("Failed (status 429): rate limited", markedAsError: true)?.status == 429)
    }

    @Test("a text not marked as an error: its status line counts among its first lines, not further down where a tool echoes content")
    func statusLineMustLead() {
        #expect(NotionStatusText.read(Self.armoryText, markedAsError: false)?.status == 429)
        #expect(NotionStatusText.read("\n\n429 Too Many Requests", markedAsError: false)?.status == 429)
        let echoed = "Appended 1 block to page 59833787.\nIts text:\n\nA note about our API:\nStatus: 429\nYou have been rate limited."
        #expect(NotionStatusText.read(echoed, markedAsError: false) == nil)
        #expect(NotionStatusText.read(echoed, markedAsError: true)?.status == 429)
    }

    @Test("a JSON-RPC error with Notion's error object in data")
    func jsonRPCErrorData() {
        let error = JSONRPCError(code: -32603, message: "Notion API error",
                                 data: ["object": "error", "status": 401, "code": "unauthorized", "message": "API token is invalid."])
        let verdict = NotionOutcomeClassifier().classify(error: error, now: now)
        #expect(verdict.outcome == .unauthorized)
        #expect(verdict.rule == NotionVerdict.Rule.errorData)
        #expect(verdict.location == "/data")
    }

    @Test("a JSON-RPC error whose message carries the status and Notion's words")
    func jsonRPCErrorMessage() {
        let error = JSONRPCError(code: -32000, message: "Error executing tool: 429 Too Many Requests (rate limited); retry in 2s")
        let verdict = NotionOutcomeClassifier().classify(error: error, now: now)
        #expect(verdict.outcome == .rateLimited)
        #expect(verdict.rule == NotionVerdict.Rule.statusText)
        #expect(verdict.retryAfter == .seconds(2))
        #expect(NotionOutcomeClassifier().classify(error: JSONRPCError(code: -32602, message: "Unknown tool"), now: now).outcome == .otherError)
    }

    @Test("an HTTP upstream's status, with its Retry-After header in seconds or as a date")
    func httpStatus() {
        let classifier = NotionOutcomeClassifier()
        #expect(classifier.classify(httpStatus: 429, retryAfter: "3", now: now) ==
            NotionVerdict(outcome: .rateLimited, rule: NotionVerdict.Rule.httpStatus, location: "http", status: 429, retryAfter: .seconds(3)))
        #expect(classifier.classify(httpStatus: 401, retryAfter: nil, now: now).outcome == .unauthorized)
        #expect(classifier.classify(httpStatus: 200, retryAfter: nil, now: now) == .success)
        #expect(classifier.classify(httpStatus: 503, retryAfter: "Tue, 14 Nov 2023 22:13:25 GMT", now: now).retryAfter == .seconds(5))
    }

    @Test("waits named in prose", arguments: [
        ("retry after 2 seconds", Duration?.some(.seconds(2))), ("Please try again in 500 ms.", .milliseconds(500)),
        ("Rate limit exceeded. Wait 1.5s", .milliseconds(1500)), ("Retry-After: 7", .seconds(7)), ("try again in 2 minutes", .seconds(120)),
        ("Please try again in a few minutes.", nil),
    ])
    func prose(_ phrase: String, _ wait: Duration?) {
        #expect(NotionRetryAfterSearch.find(inText: phrase) == wait)
    }

    @Test("an absurd or negative wait is clamped or ignored, never a crash")
    func absurdWaits() {
        #expect(NotionRetryAfterSearch.find(in: ["retry_after": 1e300], now: now) == .seconds(1_000_000_000))
        #expect(NotionRetryAfterSearch.find(in: ["retry_after": -3], now: now) == nil)
    }
}

@Suite("User outcome rules")
struct NotionOutcomeRuleTests {
    let friendly = text("❌ Too many requests. Try again in a moment.")

    @Test("a pattern alone matches any text item and decides the class")
    func patternOnly() {
        let rule = NotionOutcomeRule(name: "friendly", pattern: "Too many requests", outcome: .rateLimited)
        #expect(classify(friendly) == .success, "no built-in rule knows this server's words")
        let verdict = classify(friendly, rules: [rule])
        #expect(verdict.outcome == .rateLimited)
        #expect(verdict.rule == "user:friendly")
        #expect(verdict.location == "/content/0/text")
    }

    @Test("a pointer alone matches when something other than null or false is there")
    func pointerOnly() {
        let rule = NotionOutcomeRule(name: "flag", pointer: "/structuredContent/throttled", outcome: .rateLimited)
        #expect(classify(text("x", structured: ["throttled": true]), rules: [rule]).outcome == .rateLimited)
        #expect(classify(text("x", structured: ["throttled": false]), rules: [rule]) == .success)
        #expect(classify(text("x"), rules: [rule]) == .success)
    }

    @Test("a pointer into JSON text with a pattern on the value found there")
    func pointerIntoText() {
        let rule = NotionOutcomeRule(name: "kind", pointer: "/content/0/text#/error/kind", pattern: "^THROTTLED$", outcome: .rateLimited)
        let verdict = classify(text(#"{"error":{"kind":"THROTTLED","wait_ms":250}}"#), rules: [rule])
        #expect(verdict.outcome == .rateLimited)
        #expect(verdict.location == "/content/0/text#/error/kind")
        #expect(verdict.retryAfter == nil, "wait_ms is not a retry-after name")
        #expect(classify(text(#"{"error":{"kind":"OTHER"}}"#), rules: [rule]) == .success)
    }

    @Test("user rules come before the built-in ones")
    func precedence() {
        let rule = NotionOutcomeRule(name: "override", pattern: "rate_limited", outcome: .serverError)
        #expect(classify(text(notionRateLimit), rules: [rule]).outcome == .serverError)
    }

    @Test("bad pointers and patterns are named as problems")
    func problems() {
        #expect(NotionOutcomeRule.pointerProblem("/a/b#/c") == nil)
        #expect(NotionOutcomeRule.pointerProblem("a/b") != nil)
        #expect(NotionOutcomeRule.patternProblem("Too (many") != nil)
        #expect(NotionOutcomeRule.patternProblem("Too many") == nil)
    }
}
