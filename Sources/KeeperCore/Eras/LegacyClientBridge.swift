/// A legacy client on a modern (2026-07-28) upstream: `initialize` is answered from `server/discover`,
/// every request gains the `_meta` the client's `initialize` stands for, `ping` and `logging/setLevel`
/// are answered here, input-required results become requests to the client (and the call is retried
/// with the answers), and list-change notifications come from a subscription the proxy holds open.
///
/// It lives on its session's actor (each method runs isolated to the session it is given) and
/// outlives links: what the client set up (log level, resource subscriptions) holds on the next one.
final class LegacyClientBridge: EraAdapter {
    static let ownListenID = RequestID.string("mcpkeeper-listen")
    /// Input-required rounds one call may take before the proxy gives up on it.
    static let maxInputRounds = 8

    /// The `_meta` each request gains: version, the client's capabilities and identity.
    private var meta: JSONObject?
    /// Set by the client's `logging/setLevel`; sent as `_meta` logLevel on each request.
    private var logLevel: JSONValue?
    /// Resources the client subscribed to; the upstream's subscription stream asks for them.
    private var resourceURIs: [String] = []
    /// The proxy's own `subscriptions/listen` on the upstream.
    private var listen: Task<Void, Never>?

    func exchange(_ exchange: Exchange, on upstream: any UpstreamLink, generation: Int, clientID: RequestID?,
                  session: isolated ProxySession) async throws -> Reply {
        let empty = Reply(.upstream(.response(id: RequestID(0), result: .object(JSONObject()))))
        switch exchange.method {
        case "initialize":
            return try await initialize(exchange, on: upstream, generation: generation, session: session)
        case "ping":
            return empty
        case "logging/setLevel":
            logLevel = exchange.message.params?["level"]
            return empty
        case "resources/subscribe", "resources/unsubscribe":
            guard let uri = exchange.message.params?["uri"]?.stringValue else { return .refused(.invalidRequest("\(exchange.method) needs params.uri")) }
            resourceURIs.removeAll { $0 == uri }
            if exchange.method == "resources/subscribe" { resourceURIs.append(uri) }
            await restartListen(session: session)
            return empty
        default:
            return try await request(exchange, on: upstream, generation: generation, clientID: clientID, session: session)
        }
    }

    private func initialize(_ exchange: Exchange, on upstream: any UpstreamLink, generation: Int,
                            session: isolated ProxySession) async throws -> Reply {
        let meta = EraTranslation.modernMeta(fromInitialize: exchange.message.params)
        self.meta = meta
        let discover = session.ownExchange("server/discover", params: ["_meta": .object(meta)], protocolVersion: .v2026_07_28)
        var reply = try await session.sendAndAwait(upstream, generation: generation, exchange: discover, clientID: nil)
        guard case .upstream(let response) = reply.outcome else { return reply }
        guard let result = response.result else {
            let refusal = response.body["error"].flatMap(JSONRPCError.init)
            let supported = refusal?.data?["supported"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? "an MCP version mcpkeeper cannot bridge"
            return .refused(JSONRPCError(code: JSONRPCError.upstreamUnavailableCode, message:
                "Upstream '\(session.settings.upstreamName)' speaks \(supported) and refused server/discover (\(refusal?.message ?? "no reason given")); mcpkeeper bridges legacy clients to MCP \(EraTranslation.modernVersion) servers only"))
        }
        session.eras.modernServer.capabilities = result["capabilities"]
        let requested = exchange.message.params?["protocolVersion"]?.stringValue
        reply.outcome = .upstream(.response(id: RequestID(0), result: EraTranslation.initializeResult(fromDiscover: result, requested: requested)))
        return reply
    }

    /// The `_meta` every bridged request carries.
    private func bridgedMeta(_ session: isolated ProxySession) -> JSONObject {
        var meta = self.meta ?? session.eras.clientMeta?.objectValue ?? EraTranslation.modernMeta(fromInitialize: nil)
        if let logLevel { meta[ModernMeta.logLevel] = logLevel }
        return meta
    }

    private func request(_ exchange: Exchange, on upstream: any UpstreamLink, generation: Int, clientID: RequestID?,
                         session: isolated ProxySession) async throws -> Reply {
        let original = exchange.message
        var attempt = exchange
        attempt.message = EraTranslation.addingMeta(bridgedMeta(session), to: original)
        for _ in 0..<Self.maxInputRounds {
            var reply = try await session.sendAndAwait(upstream, generation: generation, exchange: attempt, clientID: clientID)
            guard case .upstream(let response) = reply.outcome, let result = response.result else { return reply }
            guard result["resultType"] == "input_required" else {
                reply.outcome = .upstream(EraTranslation.withoutResultType(response))
                return reply
            }
            var answers = JSONObject()
            for (name, request) in result["inputRequests"]?.objectValue ?? JSONObject() {
                switch await ask(request, session: session) {
                case .success(let answer): answers[name] = answer
                case .failure(let error): return .refused(error)
                }
            }
            var params = original.params?.objectValue ?? JSONObject()
            params["inputResponses"] = .object(answers)
            params["requestState"] = result["requestState"]
            attempt.message = EraTranslation.addingMeta(bridgedMeta(session), to: original.replacingParams(.object(params)))
        }
        return .refused(JSONRPCError(code: JSONRPCError.internalErrorCode, message:
            "Upstream '\(session.settings.upstreamName)' kept asking for more input after \(Self.maxInputRounds) rounds; mcpkeeper gave up on this \(exchange.method)"))
    }

    /// One question of the upstream's, put to the legacy client as the server-to-client request it
    /// was in the legacy era.
    private func ask(_ request: JSONValue, session: isolated ProxySession) async -> Result<JSONValue, JSONRPCError> {
        guard let method = request["method"]?.stringValue else {
            return .failure(JSONRPCError(code: JSONRPCError.internalErrorCode, message: "The upstream asked for input without naming a method"))
        }
        if let capability = EraTranslation.capability(for: method), session.handshake?.params?["capabilities"]?[capability] == nil {
            return .failure(JSONRPCError(code: JSONRPCError.internalErrorCode, message:
                "The upstream (MCP \(EraTranslation.modernVersion)) needs \(method) from the client to complete this request, but the client did not declare the '\(capability)' capability at initialize"))
        }
        let answer = await session.askClient(method, params: request["params"])
        if let result = answer.result { return .success(result) }
        let error = answer.body["error"].flatMap(JSONRPCError.init)
        return .failure(JSONRPCError(code: error?.code ?? JSONRPCError.internalErrorCode,
                                     message: "The client refused \(method): \(error?.message ?? "no reason given")"))
    }

    /// (Re)opens the proxy's own `subscriptions/listen` on the modern upstream for what the legacy
    /// client can receive: list changes the server announces, and the resources it subscribed to.
    func restartListen(session: isolated ProxySession) async {
        listen?.cancel()
        listen = nil
        await session.cancelOwnRequest(Self.ownListenID)
        let capabilities = session.eras.modernServer.capabilities
        var filter = JSONObject()
        for (name, capability) in [("toolsListChanged", "tools"), ("promptsListChanged", "prompts"), ("resourcesListChanged", "resources")]
        where capabilities?[capability]?["listChanged"] == true {
            filter[name] = true
        }
        if !resourceURIs.isEmpty {
            filter["resourceSubscriptions"] = .array(resourceURIs.map { .string($0) })
        }
        guard !filter.isEmpty else { return }
        let exchange = session.ownExchange("subscriptions/listen", params: ["_meta": .object(bridgedMeta(session)), "notifications": .object(filter)],
                                           id: Self.ownListenID, protocolVersion: .v2026_07_28)
        listen = Task { _ = try? await session.forward(exchange, for: nil) }
    }

    /// Ends the proxy's own subscription (the session is shutting down).
    func endListen() {
        listen?.cancel()
    }

    /// The client's handshake is complete: the proxy's subscription stands in for what a legacy
    /// server would have sent unasked (a modern server does not know `notifications/initialized`).
    func clientInitialized(_ message: JSONRPCMessage, session: isolated ProxySession) async {
        await restartListen(session: session)
    }

    func linkAnnounced(session: isolated ProxySession) {
        Task { await session.eras.legacyClient.restartListen(session: session) }
    }

    /// A notification from a modern upstream, as a legacy client takes it: no subscription bookkeeping.
    func clientView(of message: JSONRPCMessage, method: String, session: isolated ProxySession) async -> JSONRPCMessage? {
        if method == "notifications/cancelled", let id = message.params?["requestId"].flatMap(RequestID.init) {
            return session.cancelledByUpstream(message, id: id, endsRequest: session.clientID(ofUpstreamRequest: id) != Self.ownListenID)
        }
        if method == "notifications/subscriptions/acknowledged" { return nil }
        guard message.params?["_meta"]?[ModernMeta.subscriptionID] != nil else { return message }
        return message.replacingMeta(ModernMeta.subscriptionID, with: nil)
    }
}
