import KeeperCore

/// Tools of the sandbox's own (enabled by `--client-request-tools`) that need something from the
/// client, as servers using roots or elicitation do. Legacy: the server sends the request to the
/// client and waits, proving server-to-client requests cross a proxy both ways. Modern: the call
/// answers input-required and completes on the client's retry (SandboxServer+InputRequests).
enum SandboxClientRequestTools {
    static let rootsTool = "sandbox-list-client-roots"
    static let confirmTool = "sandbox-confirm"

    static let tools: [JSONValue] = [
        [
            "name": .string(rootsTool),
            "description": "Asks the client for its roots (roots/list) and returns what it answered.",
            "inputSchema": ["type": "object", "properties": [:]],
            "annotations": ["readOnlyHint": true, "title": "List client roots"],
        ],
        [
            "name": .string(confirmTool),
            "description": "Asks the user to confirm (elicitation/create, form mode) and returns what they answered.",
            "inputSchema": ["type": "object", "properties": [:]],
            "annotations": ["readOnlyHint": true, "title": "Confirm with the user"],
        ],
    ]

    /// What one tool needs from the client: the request, the capability that allows it, and the key it
    /// goes under in a modern `inputRequests`.
    struct Ask {
        let key: String
        let method: String
        let params: JSONValue?
        let capability: String
        /// Legacy `sandbox-list-client-roots` has always asked whatever the client declared; proxies'
        /// tests rely on that, so only the newer elicitation tool checks in that era.
        let checkedInLegacy: Bool
    }

    static func ask(for tool: String) -> Ask? {
        switch tool {
        case rootsTool: Ask(key: "roots", method: "roots/list", params: nil, capability: "roots", checkedInLegacy: false)
        case confirmTool: Ask(key: "confirm", method: "elicitation/create", params: confirmation, capability: "elicitation", checkedInLegacy: true)
        default: nil
        }
    }

    static let confirmation: JSONValue = [
        "mode": "form",
        "message": "Confirm the sandbox action?",
        "requestedSchema": [
            "type": "object",
            "properties": ["confirm": ["type": "boolean", "title": "Confirm", "description": "Go ahead with the sandbox action"]],
            "required": ["confirm"],
        ],
    ]

    /// Whether the client's answer has the shape its request's result has (ListRootsResult, ElicitResult).
    static func isAnswer(_ answer: JSONValue, to ask: Ask) -> Bool {
        switch ask.method {
        case "roots/list": return answer["roots"]?.arrayValue != nil
        default: return ["accept", "decline", "cancel"].contains(answer["action"]?.stringValue ?? "")
        }
    }

    /// The tool's final result from the client's answer, the same in both eras.
    static func result(of tool: String, answer: JSONValue) -> JSONValue {
        let text: String
        if tool == confirmTool {
            let action = answer["action"]?.stringValue ?? ""
            text = answer["content"].map { "The user answered \(action) with \($0.serialized())." } ?? "The user answered \(action)."
        } else {
            text = answer.serialized()
        }
        return SandboxServer.textResult(text)
    }
}

extension SandboxServer {
    /// The legacy way: a request to the client, answered when its response comes back.
    func askingClient(id: RequestID, tool: String, ask: SandboxClientRequestTools.Ask) async -> JSONRPCMessage {
        if ask.checkedInLegacy, initializeParams?["capabilities"]?[ask.capability] == nil {
            let text = "\(tool) needs the client capability \"\(ask.capability)\", which initialize did not declare."
            return .response(id: id, result: ["content": [["type": "text", "text": .string(text)]], "isError": true])
        }
        let answer = await askClient(method: ask.method, params: ask.params, about: id)
        guard let result = answer.result else {
            // The client's error, shown as the tool's text: what a caller debugging a proxy wants to see.
            return .response(id: id, result: Self.textResult((answer.body["error"] ?? .null).serialized()))
        }
        return .response(id: id, result: SandboxClientRequestTools.result(of: tool, answer: result))
    }

    /// Asks on the stream of the call `about`, as Streamable HTTP servers relate a question to its request.
    private func askClient(method: String, params: JSONValue?, about call: RequestID) async -> JSONRPCMessage {
        await withCheckedContinuation { continuation in
            let requestID = clientRequests.allocate(continuation)
            Task { try? await channel.send(.request(id: requestID, method: method, params: params), relatedTo: call) }
        }
    }
}
