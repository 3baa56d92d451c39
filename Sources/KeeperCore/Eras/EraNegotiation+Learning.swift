/// Learning a link's era from the requests that cross it, and sending each through its adapter.
extension EraNegotiation {
    /// One request on one link (replays use the new link before it is announced as ready).
    func exchange(_ exchange: Exchange, on link: any UpstreamLink, generation: Int, clientID: RequestID?,
                  session: isolated ProxySession) async throws -> Reply {
        enterLink(generation)
        let era = exchange.era
        switch upstream {
        case .known(.legacy) where era == .legacy, .unknown where era == .legacy && exchange.method != "initialize":
            return try await legacyPassThrough.exchange(exchange, on: link, generation: generation, clientID: clientID, session: session)
        case .unknown where era == .legacy:
            return try await learnFromInitialize(exchange, on: link, generation: generation, clientID: clientID, session: session)
        case .unknown where exchange.method == "server/discover":
            return try await learnFromDiscover(exchange, on: link, generation: generation, clientID: clientID, session: session)
        default:
            break
        }
        let upstreamEra = await learnEra(link, generation: generation, meta: era == .modern ? exchange.message.params?["_meta"] : nil,
                                         session: session)
        guard generation == linkGeneration else {
            return Reply(.proxy(UpstreamFailure.notSent(upstream: session.settings.upstreamName, reason: "the link was replaced",
                                                        method: exchange.method, tool: exchange.tool), outcome: "failed"))
        }
        return try await adapter(client: era, upstream: upstreamEra)
            .exchange(exchange, on: link, generation: generation, clientID: clientID, session: session)
    }

    /// A link newer than the one these facts describe: its era is to be learned again.
    private func enterLink(_ generation: Int) {
        guard generation > linkGeneration else { return }
        linkGeneration = generation
        // Whoever waited on the old link learns nothing from it; they see the link was replaced.
        if case .learning(let waiters) = upstream { waiters.forEach { $0.resume(returning: .legacy) } }
        upstream = .unknown
        modernClient.linkReplaced()
    }

    /// A legacy client's `initialize` on a link of unknown era: accepted, the upstream is legacy; refused,
    /// a `server/discover` probe tells whether it is modern (then the session bridges) or just refused.
    /// Requests the client sends meanwhile wait for the answer, as they would for the era.
    private func learnFromInitialize(_ exchange: Exchange, on link: any UpstreamLink, generation: Int, clientID: RequestID?,
                                     session: isolated ProxySession) async throws -> Reply {
        upstream = .learning([])
        let reply: Reply
        do {
            reply = try await session.sendAndAwait(link, generation: generation, exchange: exchange, clientID: clientID)
        } catch {
            settle(.legacy, generation: generation, session: session)
            throw error
        }
        if case .upstream(let response) = reply.outcome, let result = response.result {
            settle(.legacy, generation: generation, session: session)
            if client == .modern { modernClient.sessionOpened(result) }
            return reply
        }
        let meta = JSONValue.object(EraTranslation.modernMeta(fromInitialize: exchange.message.params))
        let refusedOnTheWire = reply.transportError == nil || reply.httpStatus != nil
        let era: ProtocolEra = refusedOnTheWire && !probeKillsUpstream ? await probe(link, generation: generation, meta: meta, session: session) : .legacy
        settle(era, generation: generation, session: session)
        guard era == .modern else { return reply }
        return try await legacyClient.exchange(exchange, on: link, generation: generation, clientID: clientID, session: session)
    }

    /// A modern client's own `server/discover` on a link of unknown era is the probe: a modern answer
    /// goes back as it is, anything else means legacy and the answer comes from the bridge.
    private func learnFromDiscover(_ exchange: Exchange, on link: any UpstreamLink, generation: Int, clientID: RequestID?,
                                   session: isolated ProxySession) async throws -> Reply {
        upstream = .learning([])
        var (era, reply) = await probe(link, generation: generation, with: exchange, clientID: clientID, session: session)
        // A client that gave up on its discover leaves the question open: the proxy's own probe answers it.
        if Task.isCancelled { era = await probe(link, generation: generation, meta: exchange.message.params?["_meta"], session: session) }
        settle(era, generation: generation, session: session)
        if era == .modern, let reply {
            try Task.checkCancellation()
            return modernPassThrough.finished(reply, exchange: exchange, serverInfo: modernServer.serverInfo)
        }
        try Task.checkCancellation()
        return try await modernClient.exchange(exchange, on: link, generation: generation, clientID: clientID, session: session)
    }

    /// The link's era: known, being learned by another request (then waited for), or probed now with
    /// `server/discover`. A discover result or a modern error means modern; any other error, silence
    /// until the timeout, or a refusal at the HTTP level means legacy (never keyed to one error code).
    private func learnEra(_ link: any UpstreamLink, generation: Int, meta: JSONValue?, session: isolated ProxySession) async -> ProtocolEra {
        switch upstream {
        case .known(let era): return era
        case .learning(let waiters):
            return await withCheckedContinuation { upstream = .learning(waiters + [$0]) }
        case .unknown:
            upstream = .learning([])
        }
        let era: ProtocolEra = probeKillsUpstream ? .legacy : await probe(link, generation: generation, meta: meta, session: session)
        settle(era, generation: generation, session: session)
        return era
    }

    private func settle(_ era: ProtocolEra, generation: Int, session: isolated ProxySession) {
        guard generation == linkGeneration else { return }
        if case .learning(let waiters) = upstream { waiters.forEach { $0.resume(returning: era) } }
        upstream = .known(era)
        session.logger.info("learned the upstream's protocol era", metadata: ["upstream": "\(session.settings.upstreamName)", "era": "\(era.rawValue)"])
    }

    /// Probes with `server/discover` built from `meta`. Shielded from the asking request's
    /// cancellation: the answer concerns the link, not that request.
    private func probe(_ link: any UpstreamLink, generation: Int, meta: JSONValue?, session: isolated ProxySession) async -> ProtocolEra {
        var probeMeta = meta?.objectValue ?? EraTranslation.modernMeta(fromInitialize: nil)
        probeMeta[ModernMeta.protocolVersion] = .string(EraTranslation.modernVersion)
        let exchange = session.ownExchange("server/discover", params: ["_meta": .object(probeMeta)], protocolVersion: .v2026_07_28)
        return await Task { await session.eras.probe(link, generation: generation, with: exchange, clientID: nil, session: session).era }.value
    }

    /// One `server/discover` (the proxy's, or a modern client's own) and what its answer, or its
    /// silence until `eraProbeTimeout`, says of the upstream's era. Sent straight on the link, not
    /// through pacing and retry: its silence is the answer, and a retry or a wait in line would
    /// stretch the timeout that reads it.
    private func probe(_ link: any UpstreamLink, generation: Int, with exchange: Exchange, clientID: RequestID?,
                       session: isolated ProxySession) async -> (era: ProtocolEra, reply: Reply?) {
        let timeout = session.settings.eraProbeTimeout
        let clock = session.clock
        let reply: Reply? = await withTaskGroup(of: Reply?.self) { group in
            group.addTask { try? await session.sendAndAwait(link, generation: generation, exchange: exchange, clientID: clientID) }
            group.addTask {
                try? await clock.sleep(for: timeout)
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
                modernServer = (result["capabilities"], result["_meta"]?[ModernMeta.serverInfo])
            }
            return (.modern, reply)
        case .proxy:
            if case .connectionLost = reply.transportError {
                probeKillsUpstream = true
                session.logger.warning("the upstream ended while probed with server/discover; taking it as legacy from now on",
                                       metadata: ["upstream": "\(session.settings.upstreamName)"])
            }
            return (.legacy, reply)
        }
    }
}
