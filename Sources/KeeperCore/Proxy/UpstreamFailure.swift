/// The errors the client gets when the upstream cannot answer: each says whether the request
/// reached the upstream, so the client knows whether retrying could apply a write twice.
public enum UpstreamFailure {
    public static func notSent(upstream: String, reason: String, method: String, tool: String?,
                               status: Int? = nil) -> JSONRPCError {
        JSONRPCError(
            code: JSONRPCError.upstreamUnavailableCode,
            message: "Upstream '\(upstream)' did not take the request (\(reason)); it was not processed, so it is safe to retry.",
            data: data(upstream: upstream, outcome: "not_sent", method: method, tool: tool, status: status))
    }

    public static func outcomeUnknown(upstream: String, reason: String, method: String, tool: String?,
                                      status: Int? = nil) -> JSONRPCError {
        JSONRPCError(
            code: JSONRPCError.outcomeUnknownCode,
            message: "Upstream '\(upstream)' failed after the request was sent (\(reason)); it may or may not have been applied. Check its effect before retrying.",
            data: data(upstream: upstream, outcome: "unknown", method: method, tool: tool, status: status))
    }

    /// Too many of the client's requests already wait for answers: this one was not sent.
    public static func tooManyInFlight(_ count: Int, upstream: String) -> JSONRPCError {
        JSONRPCError(code: JSONRPCError.upstreamUnavailableCode,
                     message: "\(count) requests are already waiting for answers from '\(upstream)'; this one was not sent. Wait for answers before sending more (HTTP: listener.max_in_flight).",
                     data: ["in_flight": .number(JSONNumber(count)), "outcome": "not_sent"])
    }

    /// The upstream is down (the circuit is open): the request was not sent; `reason` says since
    /// when, the last failure and what comes next.
    public static func down(_ reason: String, upstream: String, method: String, tool: String?) -> JSONRPCError {
        JSONRPCError(code: JSONRPCError.upstreamUnavailableCode, message: "Not sent: \(reason).",
                     data: data(upstream: upstream, outcome: "not_sent", method: method, tool: tool, status: nil))
    }

    /// The upstream did not answer in time; mcpkeeper cancelled the request upstream.
    public static func timedOut(after: Duration, upstream: String, method: String, tool: String?) -> JSONRPCError {
        let seconds = after.components.seconds
        return JSONRPCError(
            code: JSONRPCError.outcomeUnknownCode,
            message: "Upstream '\(upstream)' did not answer \(tool.map { "tool \"\($0)\"" } ?? method) within \(seconds) s, so mcpkeeper cancelled it there; it may or may not have been applied. Check its effect before retrying, or raise timeouts.request (--request-timeout) if it needs longer.",
            data: data(upstream: upstream, outcome: "unknown", method: method, tool: tool, status: nil))
    }

    /// The error for a request the transport could not deliver, by whether the upstream saw it.
    public static func delivery(_ error: TransportError, upstream: String, method: String, tool: String?) -> JSONRPCError {
        if error.httpStatus == 401 {
            return JSONRPCError(
                code: JSONRPCError.upstreamUnavailableCode,
                message: "Upstream '\(upstream)' refused the credentials mcpkeeper sent (\(error)). Check the token: the variable named by the upstream's auth.token_env (or the Authorization --header), or for OAuth log in again: mcpkeeper auth login --upstream \(upstream). The request was not processed.",
                data: data(upstream: upstream, outcome: "not_sent", method: method, tool: tool, status: 401))
        }
        return error.messageWasNotProcessed
            ? notSent(upstream: upstream, reason: error.description, method: method, tool: tool, status: error.httpStatus)
            : outcomeUnknown(upstream: upstream, reason: error.description, method: method, tool: tool, status: error.httpStatus)
    }

    private static func data(upstream: String, outcome: String, method: String, tool: String?, status: Int?) -> JSONValue {
        var data: JSONObject = ["upstream": .string(upstream), "outcome": .string(outcome), "method": .string(method)]
        data["tool"] = tool.map(JSONValue.string)
        data["upstream_status"] = status.map { .number(JSONNumber($0)) }
        return .object(data)
    }
}
