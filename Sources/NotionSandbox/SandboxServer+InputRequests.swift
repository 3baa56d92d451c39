import KeeperCore

/// The modern era's multi round-trip requests: instead of asking the client mid-call, a client-request
/// tool answers `input_required` with what it needs and a signed `requestState`; the client retries
/// (under a new request id) with `inputResponses` and the same state, and only then gets the result.
/// Nothing is kept between the two requests: the retry carries all the server needs.
extension SandboxServer {
    func inputRequired(id: RequestID, tool: String, ask: SandboxClientRequestTools.Ask, params: JSONValue?,
                       capabilities: JSONObject) -> JSONRPCMessage {
        guard capabilities[ask.capability] != nil else {
            return .error(id: id, JSONRPCError(code: JSONRPCError.missingClientCapabilityCode,
                                               message: "\(tool) needs the client capability \"\(ask.capability)\"",
                                               data: ["requiredCapabilities": .object([ask.capability: [:]])]))
        }
        let requestState = params?["requestState"]
        let responses = params?["inputResponses"]
        if requestState == nil, responses == nil {
            return .response(id: id, result: inputRequest(tool: tool, ask: ask))
        }
        guard let token = requestState?.stringValue, SandboxRequestState.verify(token, tool: tool) else {
            return .error(id: id, Self.invalidParams("requestState is missing, altered, expired or not from \(tool); call it again without inputResponses"))
        }
        guard let responses, responses.objectValue != nil else {
            return .error(id: id, Self.invalidParams("inputResponses must be an object"))
        }
        // The spec's advice when an answer is missing: ask again rather than fail.
        guard let answer = responses[ask.key] else { return .response(id: id, result: inputRequest(tool: tool, ask: ask)) }
        guard SandboxClientRequestTools.isAnswer(answer, to: ask) else {
            return .error(id: id, Self.invalidParams("inputResponses.\(ask.key) is not a result of \(ask.method)"))
        }
        return .response(id: id, result: SandboxClientRequestTools.result(of: tool, answer: answer))
    }

    private func inputRequest(tool: String, ask: SandboxClientRequestTools.Ask) -> JSONValue {
        var request: JSONObject = ["method": .string(ask.method)]
        request["params"] = ask.params
        return [
            "resultType": "input_required",
            "inputRequests": .object([ask.key: .object(request)]),
            "requestState": .string(SandboxRequestState.issue(tool: tool)),
        ]
    }

    static func invalidParams(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: JSONRPCError.invalidParamsCode, message: "Invalid params: \(detail)")
    }
}
