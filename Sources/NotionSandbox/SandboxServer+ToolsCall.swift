import KeeperCore

#if canImport(Glibc)
import Glibc
#endif

extension SandboxServer {
    /// `tools/call` as the official server answers it: the Notion response (or Notion's error JSON) as
    /// one text content, never `isError`, after the configured faults have had their turn.
    func toolsCall(id: RequestID, params: JSONValue?) async -> JSONRPCMessage {
        guard let name = params?["name"]?.stringValue else {
            return .error(id: id, JSONRPCError(code: JSONRPCError.invalidParamsCode, message: "tools/call needs params.name"))
        }
        let arguments = params?["arguments"]?.objectValue ?? JSONObject()
        if let token = params?["_meta"]?["progressToken"] {
            await send(.notification(method: "notifications/progress",
                               params: ["progressToken": token, "progress": 0, "total": 1, "message": .string("calling \(name)")]))
        }
        if faults.options.clientRequestTools, SandboxClientRequestTools.handles(name) {
            return await clientRequestTool(id: id, name: name)
        }
        callCount += 1
        let call = callCount
        if faults.options.latency > .zero { try? await Task.sleep(for: faults.options.latency) }
        if faults.crashes(atCall: call) == .beforeApply { crash("before applying call \(call)") }
        if faults.rateLimits() {
            let seconds = max(1, Int((faults.options.retryAfter.milliseconds / 1000).rounded(.up)))
            var error = workspace.notionErrorJSON(status: 429, code: "rate_limited",
                                                  message: "You have been rate limited. Please try again in \(seconds) second\(seconds == 1 ? "" : "s").")
            if case .object(var object) = error {
                object["retry_after"] = .number(JSONNumber(seconds))
                error = .object(object)
            }
            return textResult(id: id, error)
        }
        let outcome = workspace.call(tool: name, arguments: arguments)
        if case .ok = outcome, SandboxToolCatalog.isWrite(name) {
            writeCount += 1
            writeLog?.record(sequence: writeCount, tool: name, arguments: arguments)
        }
        if faults.crashes(atCall: call) == .afterApply { crash("after applying call \(call)") }
        switch outcome {
        case .ok(let body): return textResult(id: id, body)
        case .notionError(let status, let code, let message):
            return textResult(id: id, workspace.notionErrorJSON(status: status, code: code, message: message))
        case .unknownTool:
            return .error(id: id, JSONRPCError(code: JSONRPCError.invalidParamsCode, message: "Unknown tool: \(name)"))
        }
    }

    private func textResult(id: RequestID, _ body: JSONValue) -> JSONRPCMessage {
        .response(id: id, result: ["content": [["type": "text", "text": .string(body.serialized())]]])
    }

    /// The injected crash: answers already queued reach the client first, then the process dies at once.
    private func crash(_ reason: String) -> Never {
        logger.critical("sandbox crashing on purpose", metadata: ["fault": "\(reason)"])
        _ = channel.flush(timeout: .seconds(1))
        _ = StandardError.shared.flush(timeout: .milliseconds(200))
        _exit(70)
    }
}
