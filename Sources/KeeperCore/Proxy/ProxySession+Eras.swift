import Foundation

/// Each request meets the upstream in the era it speaks: same-era requests pass through, and where
/// the client and the upstream differ the session bridges (`+ModernClientBridge`, `+LegacyClientBridge`).
/// The upstream's era is learned once per link, from the first request that needs to know.
extension ProxySession {
    /// One request on one link (replays use the new link before it is announced as ready).
    func exchangeOnLink(_ upstream: any UpstreamLink, generation linkGeneration: Int, exchange: Exchange,
                        clientID: RequestID?) async throws -> Reply {
        if linkGeneration > eras.linkGeneration { modernClientBridge.linkReplaced() }
        eras.enterLink(linkGeneration)
        let clientIsModern = exchange.era == .modern
        switch eras.upstream {
        case .known(.legacy) where !clientIsModern, .unknown where !clientIsModern && exchange.method != "initialize":
            return try await sendAndAwait(upstream, generation: linkGeneration, exchange: exchange, clientID: clientID)
        case .unknown where !clientIsModern:
            return try await learnFromInitialize(upstream, generation: linkGeneration, exchange: exchange, clientID: clientID)
        case .unknown where exchange.method == "server/discover":
            return try await learnFromDiscover(upstream, generation: linkGeneration, exchange: exchange, clientID: clientID)
        default:
            break
        }
        let upstreamEra = await learnEra(upstream, generation: linkGeneration,
                                         meta: clientIsModern ? exchange.message.params?["_meta"] : nil)
        guard linkGeneration == eras.linkGeneration else {
            return Reply(.proxy(UpstreamFailure.notSent(upstream: settings.upstreamName, reason: "the link was replaced",
                                                        method: exchange.method, tool: exchange.tool), outcome: "failed"))
        }
        switch (clientIsModern, upstreamEra) {
        case (true, .modern):
            return try await passModern(upstream, generation: linkGeneration, exchange: exchange, clientID: clientID)
        case (true, .legacy):
            return try await modernClientBridge.exchange(exchange, on: upstream, generation: linkGeneration, clientID: clientID, session: self)
        case (false, .modern):
            return try await legacyClientBridge.exchange(exchange, on: upstream, generation: linkGeneration, clientID: clientID, session: self)
        case (false, .legacy):
            return try await sendAndAwait(upstream, generation: linkGeneration, exchange: exchange, clientID: clientID)
        }
    }

    /// A legacy client's `initialize` on a link of unknown era: accepted, the upstream is legacy; refused,
    /// a `server/discover` probe tells whether it is modern (then the session bridges) or just refused.
    /// Requests the client sends meanwhile wait for the answer, as they would for the era.
    private func learnFromInitialize(_ upstream: any UpstreamLink, generation: Int, exchange: Exchange,
                                     clientID: RequestID?) async throws -> Reply {
        eras.upstream = .learning([])
        let reply: Reply
        do {
            reply = try await sendAndAwait(upstream, generation: generation, exchange: exchange, clientID: clientID)
        } catch {
            settleEra(.legacy, generation: generation)
            throw error
        }
        if case .upstream(let response) = reply.outcome, let result = response.result {
            settleEra(.legacy, generation: generation)
            if eras.client == .modern { modernClientBridge.sessionOpened(result) }
            return reply
        }
        let meta = JSONValue.object(EraTranslation.modernMeta(fromInitialize: exchange.message.params))
        let refusedOnTheWire = reply.transportError == nil || reply.httpStatus != nil
        let era: ProtocolEra = refusedOnTheWire && !eras.probeKillsUpstream ? await probe(upstream, generation: generation, meta: meta) : .legacy
        settleEra(era, generation: generation)
        guard era == .modern else { return reply }
        return try await legacyClientBridge.exchange(exchange, on: upstream, generation: generation, clientID: clientID, session: self)
    }

    /// A modern client's own `server/discover` on a link of unknown era is the probe: a modern answer
    /// goes back as it is, anything else means legacy and the answer comes from the bridge.
    private func learnFromDiscover(_ upstream: any UpstreamLink, generation: Int, exchange: Exchange,
                                   clientID: RequestID?) async throws -> Reply {
        eras.upstream = .learning([])
        var (era, reply) = await probe(upstream, generation: generation, with: exchange, clientID: clientID)
        // A client that gave up on its discover leaves the question open: the proxy's own probe answers it.
        if Task.isCancelled { era = await probe(upstream, generation: generation, meta: exchange.message.params?["_meta"]) }
        settleEra(era, generation: generation)
        if era == .modern, let reply {
            try Task.checkCancellation()
            return finishedModern(reply, exchange: exchange)
        }
        try Task.checkCancellation()
        return try await modernClientBridge.exchange(exchange, on: upstream, generation: generation, clientID: clientID, session: self)
    }

    /// The link's era: known, being learned by another request (then waited for), or probed now with
    /// `server/discover`. A discover result or a modern error means modern; any other error, silence
    /// until the timeout, or a refusal at the HTTP level means legacy (never keyed to one error code).
    func learnEra(_ upstream: any UpstreamLink, generation: Int, meta: JSONValue?) async -> ProtocolEra {
        switch eras.upstream {
        case .known(let era): return era
        case .learning(let waiters):
            return await withCheckedContinuation { eras.upstream = .learning(waiters + [$0]) }
        case .unknown:
            eras.upstream = .learning([])
        }
        let era: ProtocolEra = eras.probeKillsUpstream ? .legacy : await probe(upstream, generation: generation, meta: meta)
        settleEra(era, generation: generation)
        return era
    }

    private func settleEra(_ era: ProtocolEra, generation: Int) {
        guard generation == eras.linkGeneration else { return }
        if case .learning(let waiters) = eras.upstream { waiters.forEach { $0.resume(returning: era) } }
        eras.upstream = .known(era)
        logger.info("learned the upstream's protocol era", metadata: ["upstream": "\(settings.upstreamName)", "era": "\(era.rawValue)"])
    }

    /// Probes with `server/discover` built from `meta`. Shielded from the asking request's
    /// cancellation: the answer concerns the link, not that request.
    private func probe(_ upstream: any UpstreamLink, generation: Int, meta: JSONValue?) async -> ProtocolEra {
        var probeMeta = meta?.objectValue ?? EraTranslation.modernMeta(fromInitialize: nil)
        probeMeta[ModernMeta.protocolVersion] = .string(EraTranslation.modernVersion)
        let exchange = ownExchange("server/discover", params: ["_meta": .object(probeMeta)], protocolVersion: .v2026_07_28)
        return await Task { await probe(upstream, generation: generation, with: exchange, clientID: nil).era }.value
    }

    /// One `server/discover` (the proxy's, or a modern client's own) and what its answer, or its
    /// silence until `eraProbeTimeout`, says of the upstream's era.
    private func probe(_ upstream: any UpstreamLink, generation: Int, with exchange: Exchange,
                       clientID: RequestID?) async -> (era: ProtocolEra, reply: Reply?) {
        let timeout = settings.eraProbeTimeout
        let reply: Reply? = await withTaskGroup(of: Reply?.self) { group in
            group.addTask { try? await self.sendAndAwait(upstream, generation: generation, exchange: exchange, clientID: clientID) }
            group.addTask {
                try? await self.clock.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let reply else { return (.legacy, nil) }
        switch reply.outcome {
        case .upstream(let response):
            guard EraTranslation.showsModernServer(response) else { return (.legacy, reply) }
            if let result = response.result {
                eras.modernServer.capabilities = result["capabilities"]
                eras.modernServer.serverInfo = result["_meta"]?[ModernMeta.serverInfo]
            }
            return (.modern, reply)
        case .proxy:
            if case .connectionLost = reply.transportError {
                eras.probeKillsUpstream = true
                logger.warning("the upstream ended while probed with server/discover; taking it as legacy from now on",
                               metadata: ["upstream": "\(settings.upstreamName)"])
            }
            return (.legacy, reply)
        }
    }

    /// Modern on both sides: passed through, with `resultType` added where an upstream left it out,
    /// and a subscription's id (its request id) given back as the client's.
    private func passModern(_ upstream: any UpstreamLink, generation: Int, exchange: Exchange, clientID: RequestID?) async throws -> Reply {
        var exchange = exchange
        if upstream.carriesHeaders, exchange.method == "tools/call" { exchange.message = await mirroringHeaderParameters(exchange.message) }
        var reply = try await sendAndAwait(upstream, generation: generation, exchange: exchange, clientID: clientID)
        // A subscription outlives the upstream it was opened on: listening again asks nothing twice.
        if exchange.method == "subscriptions/listen", case .connectionLost = reply.transportError, !Task.isCancelled,
           let (next, nextGeneration) = await readyLink(after: generation) {
            logger.info("listening again on the reconnected upstream", metadata: ["upstream": "\(settings.upstreamName)"])
            return try await exchangeOnLink(next, generation: nextGeneration, exchange: exchange, clientID: clientID)
        }
        guard case .upstream(let response) = reply.outcome, response.result != nil else { return reply }
        if upstream.carriesHeaders, exchange.method == "tools/list" { reply.outcome = .upstream(withoutUnusableTools(response)) }
        return finishedModern(reply, exchange: exchange)
    }

    /// A modern upstream's answer as the modern client gets it.
    private func finishedModern(_ reply: Reply, exchange: Exchange) -> Reply {
        guard case .upstream(let response) = reply.outcome, response.result != nil else { return reply }
        var reply = reply
        var answer = EraTranslation.withResultType(response, method: exchange.method).withServerInfo(eras.modernServer.serverInfo)
        if exchange.method == "subscriptions/listen", answer.result?["_meta"]?[ModernMeta.subscriptionID] != nil {
            answer = answer.replacingMeta(ModernMeta.subscriptionID, with: exchange.clientID.json)
        }
        reply.outcome = .upstream(answer)
        return reply
    }

    /// A client request declaring a version the proxy cannot speak: the modern era's own error.
    static func unsupportedVersion(_ requested: String, id: RequestID) -> JSONRPCMessage {
        .error(id: id, .unsupportedProtocolVersion(requested: requested, supported: MCPProtocolVersion.allCases.reversed().map(\.rawValue),
                                                   speaker: "mcpkeeper"))
    }
}

extension ProxySession {
    /// A modern client's request: the session now knows the client's era, and keeps the protocol keys
    /// of its `_meta` for the proxy's own requests.
    func noteModernClient(_ message: JSONRPCMessage) {
        eras.client = eras.client ?? .modern
        guard let meta = message.params?["_meta"]?.objectValue else { return }
        eras.clientVersion = meta[ModernMeta.protocolVersion]?.stringValue.flatMap(MCPProtocolVersion.init)
        var kept = JSONObject()
        for key in [ModernMeta.protocolVersion, ModernMeta.clientCapabilities, ModernMeta.clientInfo] { kept[key] = meta[key] }
        eras.clientMeta = .object(kept)
    }

    /// Shutdown does not wait for subscriptions (they run until cancelled): each ends with the
    /// graceful completion the modern era defines, and its upstream request is cancelled.
    func endSubscriptions() async {
        for id in Array(modernClientBridge.subscriptions.keys) { modernClientBridge.endSubscription(id) }
        for (id, request) in inFlight where request.isSubscription && modernClientBridge.subscriptions[id] == nil {
            inFlight[id] = nil
            request.task.cancel()
            await answerClient(.response(id: id, result: ["resultType": "complete", "_meta": [ModernMeta.subscriptionID: id.json]]))
        }
        legacyClientBridge.endListen()
    }
}

/// `x-mcp-header` on an HTTP upstream, where mcpkeeper is the client the specification holds to it.
extension ProxySession {
    /// A `tools/call` with the `Mcp-Param-*` headers its tool's schema asks for (these win over
    /// same-named headers a client sent, since the body is what the server acts on).
    func mirroringHeaderParameters(_ message: JSONRPCMessage) async -> JSONRPCMessage {
        guard let name = message.params?["name"]?.stringValue else { return message }
        if tools.tool(named: name) == nil { try? await tools.refreshIfNeeded(using: self) }
        guard case .success(let parameters) = HeaderParameters.of(tools.tool(named: name)?.definition["inputSchema"]),
              !parameters.parameters.isEmpty else { return message }
        var mirrored = message
        for (header, value) in parameters.headers(for: message.params?["arguments"]) {
            mirrored.forwardedHeaders = mirrored.forwardedHeaders.filter { $0.key.lowercased() != header.lowercased() }
            mirrored.forwardedHeaders[header] = value
        }
        return mirrored
    }

    /// A `tools/list` result without the tools whose `x-mcp-header` annotations break the rules: an
    /// HTTP client must leave them out (one bad definition does not cost the others).
    func withoutUnusableTools(_ response: JSONRPCMessage) -> JSONRPCMessage {
        guard var result = response.result?.objectValue, let listed = result["tools"]?.arrayValue else { return response }
        let kept = listed.filter { tool in
            guard case .failure(let problem) = HeaderParameters.of(tool["inputSchema"]) else { return true }
            logger.warning("left out a tool whose definition an HTTP client must reject",
                           metadata: ["upstream": "\(settings.upstreamName)", "tool": "\(tool["name"] ?? .null)", "reason": "\(problem.reason)"])
            return false
        }
        guard kept.count != listed.count else { return response }
        result["tools"] = .array(kept)
        return response.replacingResult(.object(result))
    }
}
