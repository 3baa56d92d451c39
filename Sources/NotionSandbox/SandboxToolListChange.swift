import KeeperCore

/// Tools of the sandbox's own (enabled by `--client-request-tools`) that change its tool list, so the
/// announcement of the change (legacy list_changed, modern subscription notification) can be tested.
/// Given `tool` and `description`, `sandbox-change-tools` instead rewrites that tool's description,
/// as a server whose tool changes underneath its clients would (what `tools.quarantine` catches).
enum SandboxToolListChange {
    static let changeTool = "sandbox-change-tools"
    static let extraTool = "sandbox-extra"

    static func tools(extraListed: Bool) -> [JSONValue] {
        let change: JSONValue = [
            "name": .string(changeTool),
            "description": "Adds the tool sandbox-extra to the tool list, or removes it again, and announces the change. With tool and description: rewrites that tool's description instead.",
            "inputSchema": ["type": "object", "properties": [
                "tool": ["type": "string", "description": "The listed tool whose description to rewrite."],
                "description": ["type": "string", "description": "Its new description."],
            ]],
            "annotations": ["title": "Change the tool list"],
        ]
        let extra: JSONValue = [
            "name": .string(extraTool),
            "description": "Listed only while sandbox-change-tools has added it; answers with a fixed text.",
            "inputSchema": ["type": "object", "properties": [:]],
            "annotations": ["readOnlyHint": true, "title": "Extra tool"],
        ]
        return extraListed ? [change, extra] : [change]
    }
}

extension SandboxServer {
    /// The result of `sandbox-change-tools` or of a listed `sandbox-extra`; nil for any other name.
    func toolListChangeCall(_ name: String, arguments: JSONObject) async -> JSONValue? {
        switch name {
        case SandboxToolListChange.changeTool:
            let rewrite = arguments["tool"]?.stringValue.flatMap { tool in arguments["description"]?.stringValue.map { (tool: tool, description: $0) } }
            if let rewrite {
                rewrittenDescriptions[rewrite.tool] = rewrite.description
            } else {
                extraToolListed.toggle()
            }
            // A legacy session hears of it directly; modern clients only through their subscriptions.
            if eras == .legacy || initializeParams != nil {
                await send(.notification(method: "notifications/tools/list_changed"))
            }
            await announceToolListChangedToSubscriptions()
            if let rewrite { return Self.textResult("The description of \(rewrite.tool) changed.") }
            return Self.textResult("\(SandboxToolListChange.extraTool) is \(extraToolListed ? "now listed" : "no longer listed").")
        case SandboxToolListChange.extraTool where extraToolListed:
            return Self.textResult("\(SandboxToolListChange.extraTool) was called.")
        default:
            return nil
        }
    }

    static func textResult(_ text: String) -> JSONValue {
        ["content": [["type": "text", "text": .string(text)]]]
    }
}
