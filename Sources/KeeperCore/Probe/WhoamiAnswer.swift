/// What a whoami tool's answer says: who the credentials belong to, or why it could not tell.
enum WhoamiAnswer: Equatable {
    case identity(String)
    /// Refused (401 or 403), with Notion's error code when Notion said it.
    case unauthorized(String, notionCode: String?)
    case rateLimited
    case failed(String, notionCode: String?)

    static func read(_ message: JSONRPCMessage) -> WhoamiAnswer {
        guard let result = message.result else { return .failed(Prober.errorText(message), notionCode: nil) }
        if NotionRateLimit.detect(in: result) != nil { return .rateLimited }
        let text = result["content"]?.arrayValue?.compactMap { $0["text"]?.stringValue }.joined(separator: " ") ?? ""
        // Notion's errors arrive as a normal result whose text is its error JSON.
        if let error = NotionAPIError.parse(text) {
            let detail = error.message.isEmpty ? text : error.message
            return error.status == 401 || error.status == 403 ? .unauthorized(detail, notionCode: error.code) : .failed(detail, notionCode: error.code)
        }
        if result["isError"] == true { return .failed(String(text.prefix(200)), notionCode: nil) }
        if let body = try? JSONParser.parse(text) {
            return .identity(body["name"]?.stringValue ?? body["id"]?.stringValue ?? "unknown")
        }
        return .identity(String(text.prefix(80)))
    }
}
