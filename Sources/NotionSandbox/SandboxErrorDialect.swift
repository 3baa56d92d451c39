import KeeperCore

/// Puts the sandbox's answer into a `tools/call` result the way the chosen kind of server does
/// (`SandboxDialect`). Successes look the same in every dialect: the Notion response as text.
enum SandboxErrorDialect {
    static func result(_ body: JSONValue, tool: String, dialect: SandboxDialect) -> JSONValue {
        guard dialect != .official, body["object"] == "error", let status = body["status"]?.intValue else {
            return ["content": [["type": "text", "text": .string(body.serialized())]]]
        }
        let message = body["message"]?.stringValue ?? ""
        switch dialect {
        case .official:
            return ["content": [["type": "text", "text": .string(body.serialized())]]]
        case .nestedJSON:
            let wrapped: JSONValue = ["error": true, "status_code": .number(JSONNumber(status)),
                                      "message": .string("Client error '\(status)' for url 'https://api.notion.com/v1/\(tool)'"), "details": body]
            let text = wrapped.serialized()
            return ["content": [["type": "text", "text": .string(text)]], "structuredContent": ["result": .string(text)]]
        case .plainText:
            let text = "Tool: \(tool)\nStatus: \(status)\nError: \(message)\nRequest: POST /v1/\(tool)"
            return ["content": [["type": "text", "text": .string(text)]], "isError": true,
                    "structuredContent": ["status_code": .number(JSONNumber(status)), "error": body]]
        case .hosted:
            var error: JSONObject = ["code": body["code"] ?? .null, "message": .string(message)]
            if let wait = body["retry_after"] {
                error["retry_after_seconds"] = wait
                error["rate_limit_reason"] = "integration"
            }
            let envelope: JSONValue = ["error": .object(error)]
            return ["content": [["type": "text", "text": .string(envelope.serialized())]], "isError": true, "structuredContent": envelope]
        }
    }
}
