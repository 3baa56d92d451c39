import Foundation

/// Plain-text error reports that carry an HTTP status next to Notion's code or message, e.g.
/// `Tool: get_page\nStatus: 429\nError: You have been rate limited…`. A status alone is not enough:
/// the text must also say something of the same class, so a page that mentions "status 404" in
/// passing is still data.
enum NotionStatusText {
    /// Reports are short; longer texts are documents, and are not searched.
    static let maxBytes = 4096
    /// A text not marked as an error counts only when its status line is among its first lines: a
    /// report leads with it ("Tool: get_page\nStatus: 429…"), while a status-like line further down is
    /// content the tool echoed (a page's text), which must stay data, or a write whose answer echoes
    /// it would be sent again.
    static let leadingLines = 3

    private static let status = #"(?:status(?:[ _-]?code)?|http(?:/\d(?:\.\d)?)?|error(?:[ _-]?code)?)\s*[:=]?\s*\(?\s*([45]\d\d)\b"#
    private static let reason = #"\b([45]\d\d)\s+(?:too many requests|unauthorized|forbidden|not found|conflict|bad request|internal server error|service unavailable|bad gateway|gateway timeout)"#
    /// Anywhere: "… failed with status 429", "HTTP/1.1 429", "(429)", "429 Too Many Requests".
    private static let anywhere = try! NSRegularExpression(pattern: #"\b"# + status + "|" + reason, options: [.caseInsensitive])
    /// At the start of a line only ("Status: 429", "HTTP 429 …"), for texts not marked as errors,
    /// where prose such as "the HTTP status 429 means …" must stay data.
    private static let lineStart = try! NSRegularExpression(pattern: #"^\s*"# + status + #"|^\s*"# + reason,
                                                             options: [.caseInsensitive, .anchorsMatchLines])

    /// The status and class, when `text` is such a report. `markedAsError`: the text is an error's
    /// (an `isError` result, a JSON-RPC error message), so the status may stand anywhere in it.
    static func read(_ text: String, markedAsError: Bool) -> (status: Int, outcome: NotionOutcome)? {
        guard text.utf8.count <= maxBytes, markedAsError || hasCandidateLine(text),
              text.utf8.contains(where: { $0 == UInt8(ascii: "4") || $0 == UInt8(ascii: "5") }) else { return nil }
        let range = NSRange(text.startIndex..., in: text)
        let lowered = text.lowercased()
        for match in (markedAsError ? anywhere : lineStart).matches(in: text, range: range) {
            if !markedAsError, let start = Range(match.range, in: text)?.lowerBound,
               text[..<start].split(separator: "\n").count(where: { !$0.allSatisfy(\.isWhitespace) }) >= leadingLines { break }
            for group in 1...2 {
                guard let groupRange = Range(match.range(at: group), in: text), let status = Int(text[groupRange]),
                      let outcome = NotionOutcome.of(status: status) else { continue }
                if corroborates(outcome, lowered) { return (status, outcome) }
            }
        }
        return nil
    }

    /// Whether some line starts (after blanks) the way a status line does: `s`tatus, `h`ttp, `e`rror or
    /// a 4xx/5xx number. A byte scan, so the usual small JSON result never reaches the regular expression.
    static func hasCandidateLine(_ text: String) -> Bool {
        var atLineStart = true
        for byte in text.utf8 {
            if byte == UInt8(ascii: "\n") {
                atLineStart = true
            } else if atLineStart, byte != UInt8(ascii: " "), byte != UInt8(ascii: "\t"), byte != UInt8(ascii: "\r") {
                if "sShHeE45".utf8.contains(byte) { return true }
                atLineStart = false
            }
        }
        return false
    }

    /// Whether the text also names the class in Notion's words (its code or its message) or HTTP's.
    static func corroborates(_ outcome: NotionOutcome, _ lowered: String) -> Bool {
        let words: [String]
        switch outcome {
        case .rateLimited: words = ["rate_limited", "rate limit", "rate-limit", "ratelimit", "too many requests", "service_overload"]
        case .unauthorized: words = ["unauthorized", "api token is invalid", "invalid token", "token is invalid", "unauthenticated"]
        case .restricted: words = ["restricted_resource", "restricted", "forbidden", "insufficient permissions", "permission"]
        case .notFound: words = ["object_not_found", "could not find", "not found"]
        case .invalidRequest: words = ["validation_error", "validation", "invalid_request", "invalid_json", "bad request", "missing_version"]
        case .conflict: words = ["conflict"]
        case .serverError: words = ["internal_server_error", "service_unavailable", "internal server error", "unavailable", "bad gateway", "gateway timeout", "unexpected error"]
        case .success, .otherError: return false
        }
        return words.contains { lowered.contains($0) }
    }
}
