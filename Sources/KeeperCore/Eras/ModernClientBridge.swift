import Foundation

/// A modern (2026-07-28) client on a legacy upstream: the bridge opens the upstream's session itself
/// from the first request's `_meta`, answers `server/discover` from its `initialize` result, adds
/// `resultType`, serves `subscriptions/listen` from the upstream's notifications, and turns the
/// upstream's questions to the client (sampling, elicitation, roots) into input-required results
/// (`+Calls`).
///
/// It lives on its session's actor (each method runs isolated to the session it is given). The
/// upstream session it opened and the log level it set belong to one link; subscriptions and calls
/// belong to the client.
final class ModernClientBridge: EraAdapter {
    enum LegacySession {
        case none
        case starting([CheckedContinuation<JSONValue?, Never>])
        /// The upstream's `initialize` result.
        case ready(JSONValue)
    }

    /// The upstream session opened for the modern client on the current link.
    private(set) var legacySession = LegacySession.none
    /// The log level last set on the current link for the client's `_meta` logLevel.
    private(set) var logLevel: JSONValue?
    /// The client's `subscriptions/listen` requests, served by the proxy.
    var subscriptions: [RequestID: BridgedSubscription] = [:]
    /// Calls during which the upstream may ask the client something.
    var calls: [Int: BridgedCall] = [:]
    /// `requestState` handed to the client -> the call it continues.
    var parked: [String: Int] = [:]
    var nextCall = 1
    var nextInput = 1

    /// A new link: whoever waited for the old link's upstream session learns it is gone.
    func linkReplaced() {
        if case .starting(let waiters) = legacySession { waiters.forEach { $0.resume(returning: nil) } }
        legacySession = .none
        logLevel = nil
    }

    /// The client's own (replayed) `initialize` opened the upstream session on this link.
    func sessionOpened(_ initialize: JSONValue) {
        legacySession = .ready(initialize)
    }

    func exchange(_ exchange: Exchange, on upstream: any UpstreamLink, generation: Int, clientID: RequestID?,
                  session: isolated ProxySession) async throws -> Reply {
        let meta = exchange.message.params?["_meta"]
        guard let initialize = await legacySession(upstream, generation: generation, meta: meta, session: session) else {
            return Reply(.proxy(JSONRPCError(
                code: JSONRPCError.upstreamUnavailableCode,
                message: "Upstream '\(session.settings.upstreamName)' speaks MCP up to \(MCPProtocolVersion.latestLegacy.rawValue) and refused the initialize mcpkeeper sent on behalf of this \(EraTranslation.modernVersion) client; see mcpkeeper's stderr for its answer"),
                outcome: "failed"))
        }
        try Task.checkCancellation()
        try await applyLogLevel(meta?[ModernMeta.logLevel], upstream: upstream, generation: generation, session: session)
        switch exchange.method {
        case "server/discover":
            return Reply(.upstream(.response(id: RequestID(0), result: EraTranslation.discoverResult(fromInitialize: initialize))))
        case "subscriptions/listen":
            return try await listen(exchange, on: upstream, generation: generation, clientID: clientID, initialize: initialize, session: session)
        case let method where EraTranslation.multiRoundTripMethods.contains(method):
            return try await call(exchange, on: upstream, generation: generation, clientID: clientID, session: session)
        default:
            var legacy = exchange
            legacy.message = EraTranslation.strippingModernMeta(exchange.message)
            var reply = try await session.sendAndAwait(upstream, generation: generation, exchange: legacy, clientID: clientID)
            if case .upstream(let response) = reply.outcome { reply.outcome = .upstream(EraTranslation.withResultType(response, method: exchange.method).withServerInfo(legacyServerInfo)) }
            return reply
        }
    }

    /// The upstream session opened for the modern client on this link: its `initialize` result, nil
    /// when the upstream refused. One `initialize` per link, whoever asks first.
    private func legacySession(_ upstream: any UpstreamLink, generation: Int, meta: JSONValue?,
                               session: isolated ProxySession) async -> JSONValue? {
        switch legacySession {
        case .ready(let result): return result
        case .starting(let waiters): return await withCheckedContinuation { legacySession = .starting(waiters + [$0]) }
        case .none: legacySession = .starting([])
        }
        let params = EraTranslation.initializeParams(fromMeta: meta)
        let exchange = session.ownExchange("initialize", params: params)
        // Shielded from the asking request's cancellation: the session is the link's, not that request's.
        let reply = await Task { try? await session.sendOwn(exchange, on: upstream, generation: generation) }.value
        var result: JSONValue?
        switch reply?.outcome {
        case .upstream(let response)?:
            result = response.result
            if result == nil { session.logger.error("the legacy upstream refused initialize", metadata: ["answer": "\(response.body["error"] ?? .null)"]) }
        case .proxy(let error, _)?:
            session.logger.error("could not initialize the legacy upstream", metadata: ["error": "\(error.message)"])
        case nil:
            break
        }
        if result != nil {
            try? await upstream.send(.notification(method: "notifications/initialized"))
            // A reconnect replays this handshake, so the upstream session comes back with the link.
            session.handshake = (params, true)
        }
        guard generation == session.eras.linkGeneration else { return nil }
        if case .starting(let waiters) = legacySession {
            waiters.forEach { $0.resume(returning: result) }
            legacySession = result.map { .ready($0) } ?? .none
        }
        return result
    }

    /// The modern client's per-request log level, set on the legacy upstream when it changes.
    private func applyLogLevel(_ level: JSONValue?, upstream: any UpstreamLink, generation: Int,
                               session: isolated ProxySession) async throws {
        guard let level, level != logLevel else { return }
        logLevel = level
        _ = try await session.sendOwn(session.ownExchange("logging/setLevel", params: ["level": level]), on: upstream, generation: generation)
    }

    /// The legacy upstream's `serverInfo` from its `initialize`, which 2026-07-28 results should carry in `_meta`.
    var legacyServerInfo: JSONValue? {
        if case .ready(let initialize) = legacySession { return initialize["serverInfo"] }
        return nil
    }

    /// A notification from the legacy upstream, as the modern client hears it: progress as it is,
    /// log messages once the client asked for a level, changes on the subscriptions that asked.
    func clientView(of message: JSONRPCMessage, method: String, session: isolated ProxySession) async -> JSONRPCMessage? {
        switch method {
        case "notifications/progress": return message
        case "notifications/message": return logLevel == nil ? nil : message
        case "notifications/cancelled":
            if let id = message.params?["requestId"].flatMap(RequestID.init) { withdraw(id) }
            return nil
        default:
            await notifySubscribers(message, session: session)
            return nil
        }
    }

    // MARK: subscriptions

    private func listen(_ exchange: Exchange, on upstream: any UpstreamLink, generation: Int, clientID: RequestID?,
                        initialize: JSONValue, session: isolated ProxySession) async throws -> Reply {
        guard let clientID else { return .refused(.invalidRequest("subscriptions/listen needs a request id")) }
        let requested = exchange.message.params?["notifications"]?.objectValue ?? JSONObject()
        let capabilities = initialize["capabilities"]
        var honoured = JSONObject()
        for (filter, capability) in [("toolsListChanged", "tools"), ("promptsListChanged", "prompts"), ("resourcesListChanged", "resources")]
        where requested[filter] == true && capabilities?[capability]?["listChanged"] == true {
            honoured[filter] = true
        }
        if let uris = requested["resourceSubscriptions"]?.arrayValue, !uris.isEmpty, capabilities?["resources"]?["subscribe"] == true {
            for uri in uris {
                let subscribe = session.ownExchange("resources/subscribe", params: ["uri": uri])
                _ = try await session.sendOwn(subscribe, on: upstream, generation: generation)
            }
            honoured["resourceSubscriptions"] = .array(uris)
        }
        await session.answerClient(.notification(method: "notifications/subscriptions/acknowledged", params: [
            "_meta": [ModernMeta.subscriptionID: clientID.json], "notifications": .object(honoured),
        ]))
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard !Task.isCancelled else { return continuation.resume() }
                subscriptions[clientID] = BridgedSubscription(filter: honoured, waiter: continuation)
            }
        } onCancel: {
            Task { await session.endBridgedSubscription(clientID) }
        }
        subscriptions[clientID] = nil
        try Task.checkCancellation()
        return Reply(.upstream(.response(id: RequestID(0), result: [
            "resultType": "complete", "_meta": [ModernMeta.subscriptionID: clientID.json],
        ])))
    }

    func endSubscription(_ clientID: RequestID) {
        subscriptions[clientID]?.waiter?.resume()
        subscriptions[clientID]?.waiter = nil
    }

    /// A change notification from a legacy upstream, to every bridged subscription that asked for it.
    func notifySubscribers(_ message: JSONRPCMessage, session: isolated ProxySession) async {
        guard let method = message.method else { return }
        for (id, subscription) in subscriptions where subscription.wants(method, params: message.params) {
            await session.answerClient(message.replacingMeta(ModernMeta.subscriptionID, with: id.json))
        }
    }
}
