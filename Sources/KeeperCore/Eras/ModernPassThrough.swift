/// Modern on both sides: passed through, with `resultType` added where an upstream left it out,
/// and a subscription's id (its request id) given back as the client's.
final class ModernPassThrough: EraAdapter {
    func exchange(_ exchange: Exchange, on upstream: any UpstreamLink, generation: Int, clientID: RequestID?,
                  session: isolated ProxySession) async throws -> Reply {
        var exchange = exchange
        if upstream.carriesHeaders, exchange.method == "tools/call" { exchange.headers = await headerParameters(of: exchange, session: session) }
        var reply = try await session.sendAndAwait(upstream, generation: generation, exchange: exchange, clientID: clientID)
        // A subscription outlives the upstream it was opened on: listening again asks nothing twice.
        if exchange.method == "subscriptions/listen", case .connectionLost = reply.transportError, !Task.isCancelled,
           let (next, nextGeneration) = await session.readyLink(after: generation) {
            session.logger.info("listening again on the reconnected upstream", metadata: ["upstream": "\(session.settings.upstreamName)"])
            return try await session.eras.exchange(exchange, on: next, generation: nextGeneration, clientID: clientID, session: session)
        }
        guard case .upstream(let response) = reply.outcome, response.resultOutline != nil else { return reply }
        if upstream.carriesHeaders, exchange.method == "tools/list" { reply.outcome = .upstream(withoutUnusableTools(response, session: session)) }
        return finished(reply, exchange: exchange, serverInfo: session.eras.modernServer.serverInfo)
    }

    /// A modern upstream's answer as the modern client gets it.
    func finished(_ reply: Reply, exchange: Exchange, serverInfo: JSONValue?) -> Reply {
        guard case .upstream(let response) = reply.outcome, response.resultOutline != nil else { return reply }
        var reply = reply
        var answer = EraTranslation.withResultType(response, method: exchange.method).withServerInfo(serverInfo)
        if exchange.method == "subscriptions/listen", answer.resultOutline?["_meta"]?[ModernMeta.subscriptionID] != nil {
            answer = answer.replacingMeta(ModernMeta.subscriptionID, with: exchange.clientID.json)
        }
        reply.outcome = .upstream(answer)
        return reply
    }

    func clientView(of message: JSONRPCMessage, method: String, session: isolated ProxySession) async -> JSONRPCMessage? {
        if method == "notifications/cancelled", let id = message.params?["requestId"].flatMap(RequestID.init) {
            return session.cancelledByUpstream(message, id: id, endsRequest: true)
        }
        guard let subscription = message.params?["_meta"]?[ModernMeta.subscriptionID].flatMap(RequestID.init),
              let clientID = session.clientID(ofUpstreamRequest: subscription) else { return message }
        return message.replacingMeta(ModernMeta.subscriptionID, with: clientID.json)
    }
}
