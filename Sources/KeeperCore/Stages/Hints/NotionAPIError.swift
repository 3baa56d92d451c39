#if canImport(Glibc)
import Glibc
#endif

/// Notion's API error as the official stdio server passes it on: a *normal* tool result (no
/// `isError`) whose one text content is Notion's error object,
/// `{"object":"error","status":404,"code":"object_not_found","message":"…"}`.
public struct NotionAPIError: Sendable, Equatable {
    public let status: Int
    public let code: String
    public let message: String
    /// The wait Notion names with a rate limit (`retry_after`, seconds), when it names one.
    public let retryAfterSeconds: Double?

    /// The error in a `tools/call` result, or nil when the result is anything else.
    public static func detect(in result: JSONValue?) -> NotionAPIError? {
        guard let content = result?["content"]?.arrayValue, content.count == 1, content[0]["type"] == "text",
              let text = content[0]["text"]?.stringValue else { return nil }
        return parse(text)
    }

    /// Notion's error object in `text`. Cheap on anything else: only small texts that mention an
    /// error object are parsed.
    public static func parse(_ text: String) -> NotionAPIError? {
        guard text.utf8.count < 16_384, mentions("\"error\"", in: text), mentions("\"code\"", in: text),
              let body = try? JSONParser.parse(text), body["object"] == "error",
              let status = body["status"]?.intValue, let code = body["code"]?.stringValue else { return nil }
        return NotionAPIError(status: status, code: code, message: body["message"]?.stringValue ?? "",
                              retryAfterSeconds: body["retry_after"]?.doubleValue)
    }

    /// A byte search: this runs on every tool result, where `String.contains` (Foundation's
    /// `range(of:)`, Unicode-aware) cost several per cent of the proxy's CPU.
    private static func mentions(_ needle: StaticString, in text: String) -> Bool {
        var text = text
        return text.withUTF8 { haystack in
            needle.withUTF8Buffer { pattern in
                guard let base = haystack.baseAddress, let first = pattern.first, haystack.count >= pattern.count else { return false }
                var offset = 0
                let lastStart = haystack.count - pattern.count
                while offset <= lastStart, let hit = memchr(base + offset, Int32(first), lastStart - offset + 1) {
                    let candidate = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                    if memcmp(base + candidate, pattern.baseAddress!, pattern.count) == 0 { return true }
                    offset = candidate + 1
                }
                return false
            }
        }
    }
}
