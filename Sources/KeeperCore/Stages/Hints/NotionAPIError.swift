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
        guard text.utf8.count < 16_384, text.contains("\"error\""), text.contains("\"code\""),
              let body = try? JSONParser.parse(text), body["object"] == "error",
              let status = body["status"]?.intValue, let code = body["code"]?.stringValue else { return nil }
        return NotionAPIError(status: status, code: code, message: body["message"]?.stringValue ?? "",
                              retryAfterSeconds: body["retry_after"]?.doubleValue)
    }
}
