import KeeperCore

/// Tools of the sandbox's own (enabled by `--client-request-tools`) that make the server ask the
/// client something, as servers using roots, sampling or elicitation do; they prove that
/// server-to-client requests cross a proxy both ways.
enum SandboxClientRequestTools {
    static let rootsTool = "sandbox-list-client-roots"

    static let tools: [JSONValue] = [
        [
            "name": .string(rootsTool),
            "description": "Asks the client for its roots (roots/list) and returns what it answered.",
            "inputSchema": ["type": "object", "properties": [:]],
            "annotations": ["readOnlyHint": true, "title": "List client roots"],
        ],
    ]

    static func handles(_ name: String) -> Bool { name == rootsTool }
}

extension SandboxServer {
    func clientRequestTool(id: RequestID, name: String) async -> JSONRPCMessage {
        let answer = await askClient(method: "roots/list", params: nil)
        let text: JSONValue = answer.result ?? answer.body["error"] ?? .null
        return .response(id: id, result: ["content": [["type": "text", "text": .string(text.serialized())]]])
    }

    private func askClient(method: String, params: JSONValue?) async -> JSONRPCMessage {
        await withCheckedContinuation { continuation in
            let requestID = clientRequests.allocate(continuation)
            Task { await send(.request(id: requestID, method: method, params: params)) }
        }
    }
}
