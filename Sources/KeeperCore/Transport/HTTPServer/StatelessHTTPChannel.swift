import Synchronization

/// The modern era's stateless POSTs as one `MessageChannel`: every request becomes a message on one
/// long-lived channel (so one handler, and one upstream link, serves them all) under an id unique on
/// the channel, since independent clients pick colliding ids; its answer goes back to its own POST
/// under the client's id.
///
/// Independent clients share this channel, so nothing may reach a client it was not meant for.
/// Routing: a response to its POST (through the request's `AnswerRoute`, or by id when sent
/// through `send`); a progress notification to the request that set its
/// `progressToken`; a notification tagged with a subscription id to that `subscriptions/listen`
/// stream; a log message to the one request in flight, only if that request asked for logs at that
/// level (`_meta` logLevel, per request as 2026-07-28 has it). Anything that cannot be attributed to
/// exactly one request is not delivered but reported to `undeliverable` (counted, logged at debug).
/// The server ending a subscription with `notifications/cancelled` ends its stream. A POST whose
/// client went away is reported to the handler as `notifications/cancelled`, which is how the
/// modern era cancels over HTTP.
public final class StatelessHTTPChannel: MessageChannel {
    public let name = "client"
    public let inbound: AsyncStream<ChannelEvent>
    private let input: AsyncStream<ChannelEvent>.Continuation
    private let state = Mutex(State())

    private struct Route {
        let clientID: RequestID
        let stream: ClientStream
        let number: Int
        let progressToken: JSONValue?
        let isSubscription: Bool
        /// The lowest log level this request asked to hear; nil hears no log messages.
        let logLevel: Int?
    }

    private struct State {
        var routes: [RequestID: Route] = [:]
        var next = 1
        var closed = false
    }

    /// Told the method of each server message that no single request could be found for.
    private let undeliverable: @Sendable (String) -> Void

    public init(undeliverable: @escaping @Sendable (String) -> Void = { _ in }) {
        self.undeliverable = undeliverable
        (inbound, input) = AsyncStream<ChannelEvent>.makeStream()
    }

    /// RFC 5424 severities as MCP names them, least severe first.
    static let logLevels = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]

    /// Takes a POSTed request: its stream, and the id the handler knows it by. Nil once closed.
    func open(_ message: JSONRPCMessage, id: RequestID, acceptsJSON: Bool, headers: [String: String]) -> (ClientStream, RequestID)? {
        let opened = state.withLock { s -> (ClientStream, RequestID)? in
            guard !s.closed else { return nil }
            let number = s.next
            s.next += 1
            let internalID = RequestID.string("h\(number)")
            let stream = ClientStream(number: number, requestID: internalID, acceptsJSON: acceptsJSON, retainedEvents: 256)
            let meta = message.params?["_meta"]
            s.routes[internalID] = Route(clientID: id, stream: stream, number: number,
                                         progressToken: meta?["progressToken"],
                                         isSubscription: message.method == "subscriptions/listen",
                                         logLevel: meta?[ModernMeta.logLevel]?.stringValue.flatMap(Self.logLevels.firstIndex))
            return (stream, internalID)
        }
        if let (_, internalID) = opened {
            input.yield(.request(PairedRequest(message: message.withID(internalID), headers: headers,
                                               reply: AnswerRoute { [self] in answered($0, internalID) })))
        }
        return opened
    }

    /// The answer to the request known here as `internalID`, to its POST under the client's id.
    private func answered(_ answer: JSONRPCMessage, _ internalID: RequestID) {
        guard let route = state.withLock({ $0.routes.removeValue(forKey: internalID) }) else { return }
        route.stream.deliver(restoringIDs(answer, route: route).bytes, final: true, error: answer.kind.error)
    }

    /// A POSTed notification.
    func receive(_ message: JSONRPCMessage) {
        input.yield(.message(message))
    }

    /// The client went away before its answer: the handler hears it as a cancellation.
    func abandoned(_ internalID: RequestID) {
        guard state.withLock({ $0.routes.removeValue(forKey: internalID) }) != nil else { return }
        input.yield(.message(JSONRPCMessage.notification(method: "notifications/cancelled", params: [
            "requestId": internalID.json, "reason": "the client closed its HTTP stream",
        ])))
    }

    public func send(_ message: JSONRPCMessage) async throws(TransportError) {
        switch message.kind {
        case .response(let id), .errorResponse(.some(let id), _):
            answered(message, id)
        case .notification(let method):
            if method == "notifications/cancelled", let id = message.params?["requestId"].flatMap(RequestID.init) {
                // The server ended a subscription: its stream ends without a response.
                state.withLock { $0.routes.removeValue(forKey: id) }?.stream.close()
                return
            }
            guard let route = route(for: message) else { return undeliverable(method) }
            route.stream.deliver(restoringIDs(message, route: route).bytes, final: false)
        case .request(_, let method):
            // The modern era has no server-to-client requests: no client could answer it.
            undeliverable(method)
        case .errorResponse(nil, _):
            // A stray error without an id has no POST to go to.
            undeliverable("error")
        }
    }

    public func closeOutput() { close() }

    /// Ends the channel: every open POST is released, the handler sees EOF.
    public func close() {
        let routes = state.withLock { s -> [Route] in
            guard !s.closed else { return [] }
            s.closed = true
            defer { s.routes.removeAll() }
            return Array(s.routes.values)
        }
        routes.forEach { $0.stream.close() }
        input.finish()
    }

    private func route(for message: JSONRPCMessage) -> Route? {
        state.withLock { s -> Route? in
            if let subscription = message.params?["_meta"]?[ModernMeta.subscriptionID].flatMap(RequestID.init) {
                return s.routes[subscription]
            }
            switch message.method {
            case "notifications/progress":
                guard let token = message.params?["progressToken"] else { return nil }
                return s.routes.values.first { $0.progressToken == token && !$0.isSubscription }
            case "notifications/message":
                let requests = s.routes.values.filter { !$0.isSubscription }
                guard requests.count == 1, let only = requests.first, let wanted = only.logLevel,
                      let level = message.params?["level"]?.stringValue.flatMap(Self.logLevels.firstIndex), level >= wanted else { return nil }
                return only
            default:
                return nil
            }
        }
    }

    /// The message as its client knows it: its own request id, and its own id as subscription id.
    private func restoringIDs(_ message: JSONRPCMessage, route: Route) -> JSONRPCMessage {
        let restored = message.kind.isResponse ? message.withID(route.clientID) : message
        let member = message.kind.isResponse ? "result" : "params"
        guard let subscription = restored.body[member]?["_meta"]?[ModernMeta.subscriptionID],
              RequestID(subscription) != route.clientID else { return restored }
        return restored.replacingMeta(ModernMeta.subscriptionID, with: route.clientID.json)
    }
}
