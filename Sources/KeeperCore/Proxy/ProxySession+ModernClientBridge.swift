import Foundation

/// A modern (2026-07-28) client on a legacy upstream: the session opens the upstream's session itself
/// from the first request's `_meta`, answers `server/discover` from its `initialize` result, adds
/// `resultType`, serves `subscriptions/listen` from the upstream's notifications, and turns the
/// upstream's questions to the client (sampling, elicitation, roots) into input-required results.
extension ProxySession {
    func bridgeModernClient(_ upstream: any UpstreamLink, generation: Int, exchange: Exchange, clientID: RequestID?) async throws -> Reply {
        let meta = exchange.message.params?["_meta"]
        guard let initialize = await legacySession(upstream, generation: generation, meta: meta) else {
            return Reply(.proxy(JSONRPCError(
                code: JSONRPCError.upstreamUnavailableCode,
                message: "Upstream '\(settings.upstreamName)' speaks MCP up to \(MCPProtocolVersion.latestLegacy.rawValue) and refused the initialize mcpkeeper sent on behalf of this \(EraTranslation.modernVersion) client; see mcpkeeper's stderr for its answer"),
                outcome: "failed"))
        }
        try Task.checkCancellation()
        try await applyLogLevel(meta?[ModernMeta.logLevel], upstream: upstream, generation: generation)
        switch exchange.method {
        case "server/discover":
            return Reply(.upstream(.response(id: RequestID(0), result: EraTranslation.discoverResult(fromInitialize: initialize))))
        case "subscriptions/listen":
            return try await bridgeListen(upstream, generation: generation, exchange: exchange, clientID: clientID, initialize: initialize)
        case let method where EraTranslation.multiRoundTripMethods.contains(method):
            return try await bridgeCall(upstream, generation: generation, exchange: exchange, clientID: clientID)
        default:
            var legacy = exchange
            legacy.message = EraTranslation.strippingModernMeta(exchange.message)
            var reply = try await sendAndAwait(upstream, generation: generation, exchange: legacy, clientID: clientID)
            if case .upstream(let response) = reply.outcome { reply.outcome = .upstream(EraTranslation.withResultType(response, method: exchange.method).withServerInfo(legacyServerInfo)) }
            return reply
        }
    }

    /// The upstream session opened for the modern client on this link: its `initialize` result, nil
    /// when the upstream refused. One `initialize` per link, whoever asks first.
    private func legacySession(_ upstream: any UpstreamLink, generation: Int, meta: JSONValue?) async -> JSONValue? {
        switch eras.legacySession {
        case .ready(let result): return result
        case .starting(let waiters): return await withCheckedContinuation { eras.legacySession = .starting(waiters + [$0]) }
        case .none: eras.legacySession = .starting([])
        }
        let params = EraTranslation.initializeParams(fromMeta: meta)
        let exchange = ownExchange("initialize", params: params)
        // Shielded from the asking request's cancellation: the session is the link's, not that request's.
        let reply = await Task { try? await self.sendAndAwait(upstream, generation: generation, exchange: exchange, clientID: nil) }.value
        var result: JSONValue?
        switch reply?.outcome {
        case .upstream(let response)?:
            result = response.result
            if result == nil { logger.error("the legacy upstream refused initialize", metadata: ["answer": "\(response.body["error"] ?? .null)"]) }
        case .proxy(let error, _)?:
            logger.error("could not initialize the legacy upstream", metadata: ["error": "\(error.message)"])
        case nil:
            break
        }
        if result != nil {
            try? await upstream.send(.notification(method: "notifications/initialized"))
            // A reconnect replays this handshake, so the upstream session comes back with the link.
            handshake = (params, true)
        }
        guard generation == eras.linkGeneration else { return nil }
        if case .starting(let waiters) = eras.legacySession {
            waiters.forEach { $0.resume(returning: result) }
            eras.legacySession = result.map { .ready($0) } ?? .none
        }
        return result
    }

    /// The modern client's per-request log level, set on the legacy upstream when it changes.
    private func applyLogLevel(_ level: JSONValue?, upstream: any UpstreamLink, generation: Int) async throws {
        guard let level, level != eras.legacyLogLevel else { return }
        eras.legacyLogLevel = level
        _ = try await sendAndAwait(upstream, generation: generation, exchange: ownExchange("logging/setLevel", params: ["level": level]), clientID: nil)
    }

    // MARK: subscriptions

    private func bridgeListen(_ upstream: any UpstreamLink, generation: Int, exchange: Exchange, clientID: RequestID?,
                              initialize: JSONValue) async throws -> Reply {
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
                let subscribe = ownExchange("resources/subscribe", params: ["uri": uri])
                _ = try await sendAndAwait(upstream, generation: generation, exchange: subscribe, clientID: nil)
            }
            honoured["resourceSubscriptions"] = .array(uris)
        }
        await answerClient(.notification(method: "notifications/subscriptions/acknowledged", params: [
            "_meta": [ModernMeta.subscriptionID: clientID.json], "notifications": .object(honoured),
        ]))
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                guard !Task.isCancelled else { return continuation.resume() }
                eras.subscriptions[clientID] = BridgedSubscription(filter: honoured, waiter: continuation)
            }
        } onCancel: {
            Task { await self.endSubscription(clientID) }
        }
        eras.subscriptions[clientID] = nil
        try Task.checkCancellation()
        return Reply(.upstream(.response(id: RequestID(0), result: [
            "resultType": "complete", "_meta": [ModernMeta.subscriptionID: clientID.json],
        ])))
    }

    func endSubscription(_ clientID: RequestID) {
        eras.subscriptions[clientID]?.waiter?.resume()
        eras.subscriptions[clientID]?.waiter = nil
    }

    /// A change notification from a legacy upstream, to every bridged subscription that asked for it.
    func notifySubscribers(_ message: JSONRPCMessage) async {
        guard let method = message.method else { return }
        for (id, subscription) in eras.subscriptions where subscription.wants(method, params: message.params) {
            await answerClient(message.replacingMeta(ModernMeta.subscriptionID, with: id.json))
        }
    }

    // MARK: upstream questions as input-required results

    private func bridgeCall(_ upstream: any UpstreamLink, generation: Int, exchange: Exchange, clientID: RequestID?) async throws -> Reply {
        let params = exchange.message.params
        let capabilities = params?["_meta"]?[ModernMeta.clientCapabilities] ?? .object(JSONObject())
        let key: Int
        if let state = params?["requestState"]?.stringValue {
            guard let parkedKey = eras.parked.removeValue(forKey: state), eras.calls[parkedKey] != nil else {
                return .refused(JSONRPCError(code: JSONRPCError.invalidParamsCode, message:
                    "requestState is unknown, already used or expired (a call waits timeouts.input_wait, \(settings.parkedCallTimeout.components.seconds) s, for its retry): it is good for one retry in this session; call \(exchange.method) again without requestState and inputResponses"))
            }
            key = parkedKey
            try await resume(key, with: params?["inputResponses"]?.objectValue ?? JSONObject(), capabilities: capabilities,
                             clientID: clientID, upstream: upstream)
        } else {
            key = eras.nextCall
            eras.nextCall += 1
            eras.calls[key] = BridgedCall(capabilities: capabilities, clientID: clientID)
            var legacy = exchange
            legacy.message = EraTranslation.strippingModernMeta(exchange.message)
            let task = Task { try await self.sendAndAwait(upstream, generation: generation, exchange: legacy, clientID: clientID) }
            eras.calls[key]?.task = task
            Task {
                let reply: Reply
                do { reply = try await task.value } catch {
                    reply = Reply(.proxy(UpstreamFailure.notSent(upstream: settings.upstreamName, reason: "the call was cancelled",
                                                                 method: exchange.method, tool: exchange.tool), outcome: "failed"))
                }
                self.callFinished(key, reply)
            }
        }
        let event = await withTaskCancellationHandler {
            await nextEvent(key)
        } onCancel: {
            Task { await self.cancelCall(key) }
        }
        try Task.checkCancellation()
        return await answer(event, call: key, method: exchange.method, clientID: clientID, upstream: upstream)
    }

    /// The client's retry: its answers go to the questions the upstream is still waiting on.
    private func resume(_ key: Int, with responses: JSONObject, capabilities: JSONValue, clientID: RequestID?,
                        upstream: any UpstreamLink) async throws {
        guard var call = eras.calls[key] else { return }
        let sent = call.sent
        call.sent = [:]
        call.parkedSince = nil
        call.capabilities = capabilities
        eras.calls[key] = call
        if let clientID, let upstreamID = call.upstreamID { inFlight[clientID]?.upstreamID = upstreamID }
        for (name, input) in sent.sorted(by: { $0.key < $1.key }) {
            let answer: JSONRPCMessage = responses[name].map { .response(id: input.upstreamRequestID, result: $0) }
                ?? .error(id: input.upstreamRequestID, JSONRPCError(code: JSONRPCError.internalErrorCode,
                                                                     message: "The client retried without answering \(input.request["method"]?.stringValue ?? name)"))
            try? await upstream.send(answer)
        }
    }

    /// The legacy upstream's `serverInfo` from its `initialize`, which 2026-07-28 results should carry in `_meta`.
    var legacyServerInfo: JSONValue? {
        if case .ready(let initialize) = eras.legacySession { return initialize["serverInfo"] }
        return nil
    }

    private func answer(_ event: BridgedCallEvent, call key: Int, method: String, clientID: RequestID?, upstream: any UpstreamLink) async -> Reply {
        switch event {
        case .finished(var reply):
            forget(key)
            if case .upstream(let response) = reply.outcome { reply.outcome = .upstream(EraTranslation.withResultType(response, method: method).withServerInfo(legacyServerInfo)) }
            return reply
        case .missingCapability(let capability):
            await abandonCall(key, upstream: upstream)
            return .refused(JSONRPCError(
                code: JSONRPCError.missingClientCapabilityCode,
                message: "The upstream needs the client's '\(capability)' capability to complete this request; declare it in _meta.\(ModernMeta.clientCapabilities) if the client supports it",
                data: ["requiredCapabilities": [capability: .object(JSONObject())]]))
        case .needsInput:
            guard var call = eras.calls[key] else { return .refused(.invalidRequest("the call ended")) }
            if call.upstreamID == nil, let clientID { call.upstreamID = inFlight[clientID]?.upstreamID }
            var requests = JSONObject()
            for (name, input) in call.asked {
                requests[name] = input.request
                call.sent[name] = input
            }
            call.asked = [:]
            call.parkedSince = clock.now
            eras.calls[key] = call
            let token = Self.requestStateToken()
            eras.parked[token] = key
            return Reply(.upstream(.response(id: RequestID(0), result: [
                "resultType": "input_required", "inputRequests": .object(requests), "requestState": .string(token),
            ])))
        }
    }

    private func nextEvent(_ key: Int) async -> BridgedCallEvent {
        await withCheckedContinuation { continuation in
            guard var call = eras.calls[key] else {
                return continuation.resume(returning: .finished(.refused(.invalidRequest("the call ended"))))
            }
            if let event = call.readyEvent { return continuation.resume(returning: event) }
            call.waiter = continuation
            eras.calls[key] = call
        }
    }

    private func wake(_ key: Int) {
        guard var call = eras.calls[key], let waiter = call.waiter, let event = call.readyEvent else { return }
        call.waiter = nil
        eras.calls[key] = call
        waiter.resume(returning: event)
    }

    private func callFinished(_ key: Int, _ reply: Reply) {
        eras.calls[key]?.finished = reply
        wake(key)
    }

    /// The client cancelled its attempt: the call upstream is cancelled too.
    private func cancelCall(_ key: Int) async {
        guard let call = eras.calls[key] else { return }
        call.waiter?.resume(returning: .finished(.refused(.invalidRequest("cancelled"))))
        eras.calls[key]?.waiter = nil
        if let upstream = link.upstream { await abandonCall(key, upstream: upstream) }
    }

    private func abandonCall(_ key: Int, upstream: any UpstreamLink) async {
        guard let call = eras.calls[key] else { return }
        forget(key)
        call.task?.cancel()
        for input in Array(call.asked.values) + Array(call.sent.values) {
            try? await upstream.send(.error(id: input.upstreamRequestID, JSONRPCError(code: JSONRPCError.internalErrorCode,
                                                                                       message: "The request that asked this was abandoned")))
        }
        if let upstreamID = call.upstreamID {
            try? await upstream.send(.notification(method: "notifications/cancelled", params: ["requestId": upstreamID.json]))
        }
    }

    private func forget(_ key: Int) {
        eras.calls[key] = nil
        eras.parked = eras.parked.filter { $0.value != key }
    }

    /// Calls that waited longer than `parkedCallTimeout` for the client's retry: the call upstream
    /// is cancelled and its questions answered with an error, so neither side waits for ever.
    func expireParkedCalls() async {
        let now = clock.now
        let stale = eras.calls.filter { ($0.value.parkedSince.map { now - $0 >= settings.parkedCallTimeout }) ?? false }.keys
        guard !stale.isEmpty, let upstream = link.upstream else { return }
        for key in stale {
            logger.notice("a call waiting for the client's answers expired", metadata: ["upstream": "\(settings.upstreamName)"])
            await abandonCall(key, upstream: upstream)
        }
    }

    /// A question from the legacy upstream (sampling, elicitation, roots): it joins the call it was
    /// asked for (Streamable HTTP says which, by the stream it came on), else the one call still
    /// running. With several running and no link to one, it is refused, never guessed.
    func bridgeUpstreamRequest(_ message: JSONRPCMessage, id: RequestID, method: String, upstream: any UpstreamLink) async {
        if method == "ping" {
            try? await upstream.send(.response(id: id, result: .object(JSONObject())))
            return
        }
        var open = eras.calls.filter { $0.value.finished == nil }
        if let owner = upstream.relatedRequest(ofServerRequest: id) {
            open = open.filter { ($0.value.upstreamID ?? $0.value.clientID.flatMap { inFlight[$0]?.upstreamID }) == owner }
        }
        if open.count > 1 {
            logger.warning("a legacy upstream asked something while several bridged calls ran; refused", metadata: ["method": "\(method)", "calls": "\(open.count)"])
            try? await upstream.send(.error(id: id, JSONRPCError(code: JSONRPCError.internalErrorCode, message:
                "mcpkeeper cannot tell which of \(open.count) calls running at once asked for \(method) (stdio carries no request link); ask again when one call runs")))
            return
        }
        guard let capability = EraTranslation.capability(for: method), let key = open.keys.first else {
            logger.warning("a legacy upstream asked a modern client something outside a call; refused", metadata: ["method": "\(method)"])
            try? await upstream.send(.error(id: id, JSONRPCError(code: JSONRPCError.methodNotFoundCode, message:
                "mcpkeeper bridges this server to an MCP \(EraTranslation.modernVersion) client, which answers \(method) only during tools/call, prompts/get or resources/read")))
            return
        }
        guard eras.calls[key]?.capabilities[capability] != nil else {
            eras.calls[key]?.missingCapability = capability
            wake(key)
            try? await upstream.send(.error(id: id, JSONRPCError(code: JSONRPCError.methodNotFoundCode,
                                                                 message: "The client did not declare the '\(capability)' capability")))
            return
        }
        var request: JSONObject = ["method": .string(method)]
        if let params = message.params { request["params"] = params }
        let name = "\(capability)-\(eras.nextInput)"
        eras.nextInput += 1
        eras.calls[key]?.asked[name] = PendingInput(upstreamRequestID: id, request: .object(request))
        wake(key)
    }

    /// The upstream withdrew a question (`notifications/cancelled`): it is no longer asked.
    func withdrawUpstreamRequest(_ id: RequestID) {
        for key in eras.calls.keys {
            eras.calls[key]?.asked = eras.calls[key]?.asked.filter { $0.value.upstreamRequestID != id } ?? [:]
        }
    }

    static func requestStateToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt64, radix: 16) }.joined(separator: "-")
    }
}
