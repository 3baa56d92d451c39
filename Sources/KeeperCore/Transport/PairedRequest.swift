/// A request that arrived with its own way back, as a POST waits for its answer: the answer goes
/// straight to `reply` instead of back through the channel to be matched by id, and the HTTP
/// headers that belong to it (`Mcp-Param-*`) travel with it rather than on the message.
public struct PairedRequest: Sendable {
    public let message: JSONRPCMessage
    /// Headers to pass on with the request to an HTTP upstream, by name as the client spelled it.
    public let headers: [String: String]
    public let reply: AnswerRoute

    public init(message: JSONRPCMessage, headers: [String: String] = [:], reply: AnswerRoute) {
        self.message = message
        self.headers = headers
        self.reply = reply
    }
}

/// Where one request's answer goes: the stream of the POST that carried it.
public struct AnswerRoute: Sendable {
    private let deliver: @Sendable (JSONRPCMessage) -> Void

    public init(_ deliver: @escaping @Sendable (JSONRPCMessage) -> Void) { self.deliver = deliver }

    /// Hands over the answer (a response or error response to the request).
    public func answer(_ message: JSONRPCMessage) { deliver(message) }
}
