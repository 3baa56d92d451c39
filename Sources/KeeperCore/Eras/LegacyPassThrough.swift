/// Legacy on both sides: requests and notifications pass as they are.
final class LegacyPassThrough: EraAdapter {
    func exchange(_ exchange: Exchange, on upstream: any UpstreamLink, generation: Int, clientID: RequestID?,
                  session: isolated ProxySession) async throws -> Reply {
        try await session.sendAndAwait(upstream, generation: generation, exchange: exchange, clientID: clientID)
    }

    func clientView(of message: JSONRPCMessage, method: String, session: isolated ProxySession) async -> JSONRPCMessage? {
        guard method == "notifications/cancelled", let id = message.params?["requestId"].flatMap(RequestID.init) else { return message }
        return session.cancelledByUpstream(message, id: id, endsRequest: false)
    }

    func initializedReplayed(on upstream: any UpstreamLink, session: isolated ProxySession) async {
        try? await upstream.send(.notification(method: "notifications/initialized"))
    }
}
