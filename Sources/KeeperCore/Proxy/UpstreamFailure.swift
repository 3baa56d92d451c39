/// The errors the client gets when the upstream cannot answer: each says whether the request
/// reached the upstream, so the client knows whether retrying could apply a write twice.
public enum UpstreamFailure {
    public static func notSent(upstream: String, reason: String, method: String, tool: String?) -> JSONRPCError {
        JSONRPCError(
            code: JSONRPCError.upstreamUnavailableCode,
            message: "Upstream '\(upstream)' is not available (\(reason)); the request was not sent, so it is safe to retry.",
            data: data(upstream: upstream, outcome: "not_sent", method: method, tool: tool))
    }

    public static func outcomeUnknown(upstream: String, reason: String, method: String, tool: String?) -> JSONRPCError {
        JSONRPCError(
            code: JSONRPCError.outcomeUnknownCode,
            message: "Upstream '\(upstream)' \(reason) before answering; the request was sent and may or may not have been applied. Check its effect before retrying.",
            data: data(upstream: upstream, outcome: "unknown", method: method, tool: tool))
    }

    private static func data(upstream: String, outcome: String, method: String, tool: String?) -> JSONValue {
        var data: JSONObject = ["upstream": .string(upstream), "outcome": .string(outcome), "method": .string(method)]
        data["tool"] = tool.map(JSONValue.string)
        return .object(data)
    }
}
