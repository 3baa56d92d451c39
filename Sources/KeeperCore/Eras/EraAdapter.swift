/// How one link carries traffic between a client of one era and an upstream of another (or the
/// same). `EraNegotiation` learns the link's era once and picks the adapter from it; the session asks
/// the adapter and never looks at eras itself. Every method runs on the session's actor.
protocol EraAdapter: AnyObject {
    /// A client request on the link, under a fresh id each time it reaches the upstream.
    func exchange(_ exchange: Exchange, on upstream: any UpstreamLink, generation: Int, clientID: RequestID?,
                  session: isolated ProxySession) async throws -> Reply
    /// A notification from the upstream as the client is to see it; nil when it is not for the client.
    func clientView(of message: JSONRPCMessage, method: String, session: isolated ProxySession) async -> JSONRPCMessage?
    /// A request from the upstream: true when the adapter answered it, false when it is for the client.
    func serverRequest(_ message: JSONRPCMessage, id: RequestID, method: String, upstream: any UpstreamLink,
                       session: isolated ProxySession) async -> Bool
    /// The client's `notifications/initialized`.
    func clientInitialized(_ message: JSONRPCMessage, session: isolated ProxySession) async
    /// The client's handshake was replayed on a new link, `notifications/initialized` included.
    func initializedReplayed(on upstream: any UpstreamLink, session: isolated ProxySession) async
    /// A reconnected link is the session's now.
    func linkAnnounced(session: isolated ProxySession)
}

extension EraAdapter {
    func serverRequest(_ message: JSONRPCMessage, id: RequestID, method: String, upstream: any UpstreamLink,
                       session: isolated ProxySession) async -> Bool { false }

    func clientInitialized(_ message: JSONRPCMessage, session: isolated ProxySession) async {
        await session.forwardClientNotification(message, method: "notifications/initialized")
    }

    func initializedReplayed(on upstream: any UpstreamLink, session: isolated ProxySession) async {}

    func linkAnnounced(session: isolated ProxySession) {}
}
