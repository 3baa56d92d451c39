import Foundation

/// Finds Notion's verdict wherever a Notion MCP server put it, one pure function per kind of answer.
///
/// In order: the user's rules; Notion's error object as a content item's whole text (the official
/// npm server), nested in JSON text, in `structuredContent` (Notion's hosted server, FastMCP) or in a
/// JSON-RPC error's `data`; plain text with an HTTP status and Notion's words; the HTTP status of an
/// HTTP upstream; and a bare `isError`. The retry, hint and pacing stages, the probes and
/// `mcpkeeper classify` all ask this one type.
public struct NotionOutcomeClassifier: Sendable {
    public let rules: [NotionOutcomeRule]

    public init(rules: [NotionOutcomeRule] = []) { self.rules = rules }

    /// A `tools/call` result.
    public func classify(result: JSONValue, now: Date) -> NotionVerdict {
        let items = result["content"]?.arrayValue ?? []
        let texts: [(location: String, text: String)] = items.enumerated().compactMap { index, item in
            item["text"]?.stringValue.map { ("/content/\(index)/text", $0) }
        }
        if let verdict = userRule(result, texts: texts, now: now) { return verdict }
        for (location, text) in texts {
            guard let found = NotionErrorSearch.find(inText: text, at: location) else { continue }
            let whole = found.location == location + "#"
            return verdict(found, rule: whole ? NotionVerdict.Rule.errorText : NotionVerdict.Rule.errorNested,
                           searching: [found.document] + structured(result), texts: texts, now: now)
        }
        if let structured = result["structuredContent"], let found = NotionErrorSearch.find(in: structured, at: "/structuredContent") {
            return verdict(found, rule: NotionVerdict.Rule.errorStructured, searching: [found.document], texts: texts, now: now)
        }
        for (location, text) in texts {
            guard let (status, outcome) = NotionStatusText.read(text, markedAsError: result["isError"] == true) else { continue }
            return NotionVerdict(outcome: outcome, rule: NotionVerdict.Rule.statusText, location: location, status: status,
                                 message: Self.clipped(text), retryAfter: wait(in: structured(result), texts: texts, now: now))
        }
        if result["isError"] == true {
            return NotionVerdict(outcome: .otherError, rule: NotionVerdict.Rule.isError, location: "/isError",
                                 message: texts.first.map { Self.clipped($0.text) })
        }
        return .success
    }

    /// A JSON-RPC error answer.
    public func classify(error: JSONRPCError, now: Date) -> NotionVerdict {
        let root = error.json
        let texts = [(location: "/message", text: error.message)]
        if let verdict = userRule(root, texts: texts, now: now) { return verdict }
        if let data = error.data, let found = NotionErrorSearch.find(in: data, at: "/data") {
            return verdict(found, rule: NotionVerdict.Rule.errorData, searching: [found.document], texts: texts, now: now)
        }
        if let (status, outcome) = NotionStatusText.read(error.message, markedAsError: true) {
            return NotionVerdict(outcome: outcome, rule: NotionVerdict.Rule.statusText, location: "/message", status: status,
                                 message: error.message, retryAfter: wait(in: error.data.map { [$0] } ?? [], texts: texts, now: now))
        }
        return NotionVerdict(outcome: .otherError, rule: NotionVerdict.Rule.isError, location: "", message: error.message)
    }

    /// A response: its result or its error.
    public func classify(_ message: JSONRPCMessage, now: Date) -> NotionVerdict {
        if case .errorResponse(_, let error) = message.kind { return classify(error: error, now: now) }
        // The outline leaves out only long texts no search reads (status text is at most 4 KB,
        // JSON-looking text is kept), so a success there is a success; anything else is read again
        // whole, for its messages. The user's rules may match any text: they get the whole result.
        guard rules.isEmpty, let outline = message.resultOutline else { return message.result.map { classify(result: $0, now: now) } ?? .success }
        let verdict = classify(result: outline, now: now)
        guard verdict.outcome != .success, let whole = message.result else { return verdict }
        return classify(result: whole, now: now)
    }

    /// An HTTP upstream's refusal, with its `Retry-After` header.
    public func classify(httpStatus status: Int, retryAfter: String?, now: Date) -> NotionVerdict {
        guard let outcome = NotionOutcome.of(status: status) else { return .success }
        return NotionVerdict(outcome: outcome, rule: NotionVerdict.Rule.httpStatus, location: "http", status: status,
                             retryAfter: retryAfter.flatMap { RetryAfter.parse($0, now: now) })
    }

    /// One attempt's reply in the pipeline: `tools/call` answers and HTTP refusals; nil for the
    /// proxy's own answers and for other methods' results.
    public func classify(_ reply: Reply, method: String, now: Date) -> NotionVerdict? {
        if case .httpStatus(let status, let retryAfter, _)? = reply.transportError {
            return classify(httpStatus: status, retryAfter: retryAfter, now: now)
        }
        guard method == "tools/call", case .upstream(let response) = reply.outcome else { return nil }
        return classify(response, now: now)
    }

    // MARK: - Parts

    private func userRule(_ root: JSONValue, texts: [(location: String, text: String)], now: Date) -> NotionVerdict? {
        for rule in rules {
            guard let location = rule.match(root, texts: texts) else { continue }
            let found = NotionErrorSearch.find(in: root)
            var verdict = NotionVerdict(outcome: rule.outcome, rule: "user:\(rule.name)", location: location,
                                        status: found?.error.status, code: found?.error.code, message: found?.error.message)
            if rule.outcome == .rateLimited || rule.outcome == .serverError {
                verdict.retryAfter = wait(in: [root], texts: texts, now: now)
            }
            return verdict
        }
        return nil
    }

    private func verdict(_ found: NotionErrorSearch.Found, rule: String, searching documents: [JSONValue],
                         texts: [(location: String, text: String)], now: Date) -> NotionVerdict {
        let error = found.error
        var verdict = NotionVerdict(outcome: error.outcome, rule: rule, location: found.location, status: error.status,
                                    code: error.code, message: error.message)
        if error.outcome == .rateLimited || error.outcome == .serverError {
            verdict.retryAfter = wait(in: documents, texts: texts + [("", error.message ?? "")], now: now)
        }
        return verdict
    }

    private func structured(_ result: JSONValue) -> [JSONValue] {
        result["structuredContent"].map { [$0] } ?? []
    }

    /// A named wait: a field first (exact), then a phrase in the text.
    private func wait(in documents: [JSONValue], texts: [(location: String, text: String)], now: Date) -> Duration? {
        for document in documents {
            if let wait = NotionRetryAfterSearch.find(in: document, now: now) { return wait }
        }
        for (_, text) in texts {
            if let parsed = NotionErrorSearch.parseIfErrorLike(text), let wait = NotionRetryAfterSearch.find(in: parsed, now: now) { return wait }
            if let wait = NotionRetryAfterSearch.find(inText: text) { return wait }
        }
        return nil
    }

    static func clipped(_ text: String) -> String {
        text.utf8.count <= 300 ? text : String(text.prefix(300)) + "…"
    }
}
