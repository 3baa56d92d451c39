/// What a whoami tool's answer says: who the credentials belong to, or why it could not tell.
enum WhoamiAnswer: Equatable {
    case identity(String)
    case unauthorized(String)
    case rateLimited
    case failed(String)

    static func read(_ message: JSONRPCMessage) -> WhoamiAnswer {
        guard let result = message.result else { return .failed(Prober.errorText(message)) }
        if NotionRateLimit.detect(in: result) != nil { return .rateLimited }
        let text = result["content"]?.arrayValue?.compactMap { $0["text"]?.stringValue }.joined(separator: " ") ?? ""
        // Notion's errors arrive as a normal result whose text is its error JSON.
        if let body = try? JSONParser.parse(text), body["object"] == "error" {
            let status = body["status"]?.intValue ?? 0
            let detail = body["message"]?.stringValue ?? text
            return status == 401 || status == 403 ? .unauthorized(detail) : .failed(detail)
        }
        if result["isError"] == true { return .failed(String(text.prefix(200))) }
        if let body = try? JSONParser.parse(text) {
            return .identity(body["name"]?.stringValue ?? body["id"]?.stringValue ?? "unknown")
        }
        return .identity(String(text.prefix(80)))
    }
}
