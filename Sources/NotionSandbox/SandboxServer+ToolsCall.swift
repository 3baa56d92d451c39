import KeeperCore

extension SandboxServer {
    /// `tools/call` as the official server answers it: the Notion response (or Notion's error JSON) as
    /// one text content, never `isError`, after the configured faults have had their turn.
    func toolsCall(id: RequestID, params: JSONValue?, era: SandboxRequestEra) async -> JSONRPCMessage {
        guard let name = params?["name"]?.stringValue else {
            return .error(id: id, JSONRPCError(code: JSONRPCError.invalidParamsCode, message: "tools/call needs params.name"))
        }
        let arguments = params?["arguments"]?.objectValue ?? JSONObject()
        if let token = params?["_meta"]?["progressToken"] {
            await send(.notification(method: "notifications/progress",
                                     params: ["progressToken": token, "progress": 0, "total": 1, "message": .string("calling \(name)")]))
        }
        if state.options.logCalls {
            await send(.notification(method: "notifications/message", params: [
                "level": "info", "logger": "sandbox", "data": ["tool": .string(name), "arguments": .object(arguments)],
            ]))
        }
        if state.options.clientRequestTools {
            if let ask = SandboxClientRequestTools.ask(for: name) {
                switch era {
                case .legacy: return await askingClient(id: id, tool: name, ask: ask)
                case .modern(let capabilities): return inputRequired(id: id, tool: name, ask: ask, params: params, capabilities: capabilities)
                }
            }
            if let result = await toolListChangeCall(name, arguments: arguments) { return .response(id: id, result: result) }
            if state.options.protocolEra != .legacy, let result = SandboxHeaderTools.result(for: name, arguments: arguments) {
                return .response(id: id, result: result)
            }
        }
        if name == SandboxBigResultTool.name, let big = state.bigResult {
            return .response(id: id, result: big)
        }
        guard let result = await state.call(tool: name, arguments: arguments) else {
            return .error(id: id, JSONRPCError(code: JSONRPCError.invalidParamsCode, message: "Unknown tool: \(name)"))
        }
        return .response(id: id, result: result)
    }
}
