import Synchronization

/// The modern era's stateless POSTs as one `MessageChannel`: every request becomes a message on one
/// long-lived channel (so one handler, and one upstream link, serves them all) under an id unique on
/// the channel, since independent clients pick colliding ids; its answer goes back to its own POST
/// under the client's id.
///
/// Routing: a response to its POST; a progress notification to the request that set its
/// `progressToken`; a notification tagged with a subscription id to that `subscriptions/listen`
/// stream; anything else to the newest open stream. The server ending a subscription with
/// `notifications/cancelled` ends its stream. A POST whose client went away is reported to the
/// handler as `notifications/cancelled`, which is how the modern era cancels over HTTP.
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
        let headers: [String: String]
    }

    private struct State {
        var routes: [RequestID: Route] = [:]
        var next = 1
        var closed = false
    }

    public init() {
        (inbound, input) = AsyncStream<ChannelEvent>.makeStream()
    }

    /// Takes a POSTed request: its stream, and the id the handler knows it by. Nil once closed.
    func open(_ message: JSONRPCMessage, id: RequestID, acceptsJSON: Bool, headers: [String: String]) -> (ClientStream, RequestID)? {
        let opened = state.withLock { s -> (ClientStream, RequestID)? in
            guard !s.closed else { return nil }
            let number = s.next
            s.next += 1
            let internalID = RequestID.string("h\(number)")
            let stream = ClientStream(number: number, requestID: internalID, acceptsJSON: acceptsJSON, retainedEvents: 256)
            s.routes[internalID] = Route(clientID: id, stream: stream, number: number,
                                         progressToken: message.params?["_meta"]?["progressToken"], headers: headers)
            return (stream, internalID)
        }
        if let (_, internalID) = opened { input.yield(.line(message.withID(internalID).bytes)) }
        return opened
    }

    /// A POSTed notification.
    func receive(_ message: JSONRPCMessage) {
        input.yield(.line(message.bytes))
    }

    /// The client went away before its answer: the handler hears it as a cancellation.
    func abandoned(_ internalID: RequestID) {
        guard state.withLock({ $0.routes.removeValue(forKey: internalID) }) != nil else { return }
        input.yield(.line(JSONRPCMessage.notification(method: "notifications/cancelled", params: [
            "requestId": internalID.json, "reason": "the client closed its HTTP stream",
        ]).bytes))
    }

    public func forwardedHeaders(forRequest id: RequestID) -> [String: String] {
        state.withLock { $0.routes[id]?.headers } ?? [:]
    }

    public func send(_ message: JSONRPCMessage) async throws(TransportError) {
        switch message.kind {
        case .response(let id), .errorResponse(.some(let id), _):
            guard let route = state.withLock({ $0.routes.removeValue(forKey: id) }) else { return }
            route.stream.deliver(restoringIDs(message, route: route).bytes, final: true)
        case .notification(let method):
            if method == "notifications/cancelled", let id = message.params?["requestId"].flatMap(RequestID.init) {
                // The server ended a subscription: its stream ends without a response.
                state.withLock { $0.routes.removeValue(forKey: id) }?.stream.close()
                return
            }
            guard let route = route(for: message) else { return }
            route.stream.deliver(restoringIDs(message, route: route).bytes, final: false)
        case .request, .errorResponse(nil, _):
            // The modern era has no server-to-client requests; a stray error without an id has no POST to go to.
            return
        }
    }

    public func sendUnparsed(_ bytes: [UInt8]) async throws(TransportError) {
        let newest = state.withLock { s in s.routes.values.max(by: { $0.number < $1.number }) }
        newest?.stream.deliver(bytes, final: false)
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
            if let subscription = message.params?["_meta"]?[ModernMeta.subscriptionID].flatMap(RequestID.init),
               let route = s.routes[subscription] {
                return route
            }
            if message.method == "notifications/progress", let token = message.params?["progressToken"],
               let route = s.routes.values.first(where: { $0.progressToken == token }) {
                return route
            }
            return s.routes.values.max(by: { $0.number < $1.number })
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
