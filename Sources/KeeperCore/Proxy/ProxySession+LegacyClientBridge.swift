/// A legacy client on a modern (2026-07-28) upstream: `initialize` is answered from `server/discover`,
/// every request gains the `_meta` the client's `initialize` stands for, `ping` and `logging/setLevel`
/// are answered here, input-required results become requests to the client (and the call is retried
/// with the answers), and list-change notifications come from a subscription the proxy holds open.
extension ProxySession {
    static let ownListenID = RequestID.string("mcpkeeper-listen")
    /// Input-required rounds one call may take before the proxy gives up on it.
    static let maxInputRounds = 8

    func bridgeLegacyClient(_ upstream: any UpstreamLink, generation: Int, exchange: Exchange, clientID: RequestID?) async throws -> Reply {
        let empty = Reply(.upstream(.response(id: RequestID(0), result: .object(JSONObject()))))
        switch exchange.method {
        case "initialize":
            return try await bridgeInitialize(upstream, generation: generation, exchange: exchange)
        case "ping":
            return empty
        case "logging/setLevel":
            eras.modernBridge.logLevel = exchange.message.params?["level"]
            return empty
        case "resources/subscribe", "resources/unsubscribe":
            guard let uri = exchange.message.params?["uri"]?.stringValue else { return .refused(.invalidRequest("\(exchange.method) needs params.uri")) }
            eras.modernBridge.resourceURIs.removeAll { $0 == uri }
            if exchange.method == "resources/subscribe" { eras.modernBridge.resourceURIs.append(uri) }
            await restartUpstreamListen()
            return empty
        default:
            return try await bridgeLegacyRequest(upstream, generation: generation, exchange: exchange, clientID: clientID)
        }
    }

    private func bridgeInitialize(_ upstream: any UpstreamLink, generation: Int, exchange: Exchange) async throws -> Reply {
        let meta = EraTranslation.modernMeta(fromInitialize: exchange.message.params)
        eras.modernBridge.meta = meta
        let discover = ownExchange("server/discover", params: ["_meta": .object(meta)], protocolVersion: .v2026_07_28)
        var reply = try await sendAndAwait(upstream, generation: generation, exchange: discover, clientID: nil)
        guard case .upstream(let response) = reply.outcome else { return reply }
        guard let result = response.result else {
            let refusal = response.body["error"].flatMap(JSONRPCError.init)
            let supported = refusal?.data?["supported"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? "an MCP version mcpkeeper cannot bridge"
            return .refused(JSONRPCError(code: JSONRPCError.upstreamUnavailableCode, message:
                "Upstream '\(settings.upstreamName)' speaks \(supported) and refused server/discover (\(refusal?.message ?? "no reason given")); mcpkeeper bridges legacy clients to MCP \(EraTranslation.modernVersion) servers only"))
        }
        eras.modernBridge.serverCapabilities = result["capabilities"]
        let requested = exchange.message.params?["protocolVersion"]?.stringValue
        reply.outcome = .upstream(.response(id: RequestID(0), result: EraTranslation.initializeResult(fromDiscover: result, requested: requested)))
        return reply
    }

    /// The `_meta` every bridged request carries.
    private var bridgedMeta: JSONObject {
        var meta = eras.modernBridge.meta ?? eras.clientMeta?.objectValue ?? EraTranslation.modernMeta(fromInitialize: nil)
        if let level = eras.modernBridge.logLevel { meta[ModernMeta.logLevel] = level }
        return meta
    }

    private func bridgeLegacyRequest(_ upstream: any UpstreamLink, generation: Int, exchange: Exchange, clientID: RequestID?) async throws -> Reply {
        let original = exchange.message
        var attempt = exchange
        attempt.message = EraTranslation.addingMeta(bridgedMeta, to: original)
        for _ in 0..<Self.maxInputRounds {
            var reply = try await sendAndAwait(upstream, generation: generation, exchange: attempt, clientID: clientID)
            guard case .upstream(let response) = reply.outcome, let result = response.result else { return reply }
            guard result["resultType"] == "input_required" else {
                reply.outcome = .upstream(EraTranslation.withoutResultType(response))
                return reply
            }
            var answers = JSONObject()
            for (name, request) in result["inputRequests"]?.objectValue ?? JSONObject() {
                switch await askLegacyClient(request) {
                case .success(let answer): answers[name] = answer
                case .failure(let error): return .refused(error)
                }
            }
            var params = original.params?.objectValue ?? JSONObject()
            params["inputResponses"] = .object(answers)
            params["requestState"] = result["requestState"]
            attempt.message = EraTranslation.addingMeta(bridgedMeta, to: original.replacingParams(.object(params)))
        }
        return .refused(JSONRPCError(code: JSONRPCError.internalErrorCode, message:
            "Upstream '\(settings.upstreamName)' kept asking for more input after \(Self.maxInputRounds) rounds; mcpkeeper gave up on this \(exchange.method)"))
    }

    /// One question of the upstream's, put to the legacy client as the server-to-client request it
    /// was in the legacy era.
    private func askLegacyClient(_ request: JSONValue) async -> Result<JSONValue, JSONRPCError> {
        guard let method = request["method"]?.stringValue else {
            return .failure(JSONRPCError(code: JSONRPCError.internalErrorCode, message: "The upstream asked for input without naming a method"))
        }
        if let capability = EraTranslation.capability(for: method), handshake?.params?["capabilities"]?[capability] == nil {
            return .failure(JSONRPCError(code: JSONRPCError.internalErrorCode, message:
                "The upstream (MCP \(EraTranslation.modernVersion)) needs \(method) from the client to complete this request, but the client did not declare the '\(capability)' capability at initialize"))
        }
        let answer = await withCheckedContinuation { continuation in
            let id = toClient.allocate(PendingClientAnswer(upstreamID: RequestID(0), method: method, generation: -1, sentAt: .now,
                                                           bridge: continuation))
            Task { await answerClient(.request(id: id, method: method, params: request["params"])) }
        }
        if let result = answer.result { return .success(result) }
        let error = answer.body["error"].flatMap(JSONRPCError.init)
        return .failure(JSONRPCError(code: error?.code ?? JSONRPCError.internalErrorCode,
                                     message: "The client refused \(method): \(error?.message ?? "no reason given")"))
    }

    /// (Re)opens the proxy's own `subscriptions/listen` on the modern upstream for what the legacy
    /// client can receive: list changes the server announces, and the resources it subscribed to.
    func restartUpstreamListen() async {
        eras.modernBridge.listen?.cancel()
        eras.modernBridge.listen = nil
        if let (id, _) = toUpstream.all.first(where: { $0.entry.exchange.clientID == Self.ownListenID }) {
            try? await link.upstream?.send(.notification(method: "notifications/cancelled", params: ["requestId": id.json]))
        }
        let capabilities = eras.modernBridge.serverCapabilities
        var filter = JSONObject()
        for (name, capability) in [("toolsListChanged", "tools"), ("promptsListChanged", "prompts"), ("resourcesListChanged", "resources")]
        where capabilities?[capability]?["listChanged"] == true {
            filter[name] = true
        }
        if !eras.modernBridge.resourceURIs.isEmpty {
            filter["resourceSubscriptions"] = .array(eras.modernBridge.resourceURIs.map { .string($0) })
        }
        guard !filter.isEmpty else { return }
        let exchange = ownExchange("subscriptions/listen", params: ["_meta": .object(bridgedMeta), "notifications": .object(filter)],
                                   id: Self.ownListenID, protocolVersion: .v2026_07_28)
        eras.modernBridge.listen = Task { _ = try? await self.forward(exchange, for: nil) }
    }

    /// A notification from a modern upstream, as a legacy client takes it: no subscription bookkeeping.
    func legacyView(of notification: JSONRPCMessage) -> JSONRPCMessage? {
        if notification.method == "notifications/subscriptions/acknowledged" { return nil }
        guard notification.params?["_meta"]?[ModernMeta.subscriptionID] != nil else { return notification }
        return notification.replacingMeta(ModernMeta.subscriptionID, with: nil)
    }
}
