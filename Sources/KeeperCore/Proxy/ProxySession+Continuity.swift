import Foundation

extension ProxySession {
    var currentLink: (any UpstreamLink, Int)? {
        if case .up(let link, let linkGeneration, _) = link { return (link, linkGeneration) }
        return nil
    }

    /// The link to send on, waiting while one is being established; with `lost`, the first link
    /// after that generation (which has ended or is ending). Nil once the session stops or while the
    /// circuit is open (`circuit` says why).
    func readyLink(after lost: Int = .min) async -> (any UpstreamLink, Int)? {
        switch link {
        case .up(let upstream, let linkGeneration, _) where linkGeneration > lost: return (upstream, linkGeneration)
        case .stopped: return nil
        default:
            guard !circuit.isOpen else { return nil }
            return await withCheckedContinuation { linkWaiters.append($0) }
        }
    }

    /// Reads a link until it ends, then fails what was sent on it: a handshake replayed on a link
    /// whose process has already exited must not wait for an answer that cannot come.
    func pump(_ upstream: any UpstreamLink, generation linkGeneration: Int) -> Task<Void, Never> {
        Task(executorPreference: settings.executor) { await self.pumpUntilEnd(upstream, generation: linkGeneration) }
    }

    private func pumpUntilEnd(_ upstream: any UpstreamLink, generation linkGeneration: Int) async {
        await pumpUpstream(upstream)
        let reason = await upstream.endDescription()
        linkEnds[linkGeneration] = reason
        linkLost(linkGeneration, reason: reason)
    }

    /// A start of the upstream failed; past the threshold the circuit opens and waiting requests are answered.
    private func startFailed(_ reason: String, needsAPerson: Bool) {
        circuit.failed(reason, at: clock.date, needsAPerson: needsAPerson)
        guard circuit.isOpen else { return }
        metrics.upstreamUp(upstream: settings.upstreamName, false)
        logger.error("the upstream keeps failing to start; answering requests at once until it is back", metadata: [
            "upstream": "\(settings.upstreamName)", "failures": "\(circuit.failures)", "last": "\(reason)",
        ])
        releaseLinkWaiters()
    }

    /// Ends a link that still runs but is no use (its HTTP session expired); `run` then reconnects.
    func retire(_ retiredGeneration: Int, reason: String) {
        guard case .up(let upstream, let linkGeneration, _) = link, linkGeneration == retiredGeneration else { return }
        logger.notice("replacing the upstream link", metadata: ["upstream": "\(settings.upstreamName)", "reason": "\(reason)"])
        link = .connecting(consecutiveFailures: 0)
        Task { _ = await upstream.shutdown(grace: .seconds(1)) }
    }

    /// Opens new links, with growing jittered waits while the upstream keeps failing, until one
    /// completes the replayed handshake; nil when the session stops meanwhile.
    func reconnect(after reason: String, from lost: any UpstreamLink) async -> LivePump? {
        var failures: Int
        switch link {
        case .up(_, _, let since): failures = clock.now - since >= settings.healthyAfter ? 0 : 1
        case .connecting(let count): failures = count
        case .stopped: return nil
        }
        link = .connecting(consecutiveFailures: failures)
        if failures > 0 { startFailed(reason, needsAPerson: await lost.needsAPerson()) }
        metrics.reconnect(upstream: settings.upstreamName, reason: Self.label(reason))
        metrics.upstreamUp(upstream: settings.upstreamName, false)
        var lastReason = reason
        while shutdown == nil, !Task.isCancelled {
            link = .connecting(consecutiveFailures: failures)
            if circuit.needsAPerson {
                // No restart can help; wait for the stop that a fixed setup (and a new start) brings.
                try? await clock.sleep(for: .seconds(86_400))
                continue
            }
            let wait = failures == 0 ? .zero : settings.reconnectBackoff.delay(attempt: failures - 1, random: random)
            circuit.scheduled(clock.now + wait)
            logger.warning("reconnecting to the upstream", metadata: [
                "upstream": "\(settings.upstreamName)", "reason": "\(lastReason)", "attempt": "\(failures + 1)", "wait_ms": "\(wait.milliseconds)",
            ])
            if wait > .zero { try? await clock.sleep(for: wait) }
            guard shutdown == nil, !Task.isCancelled, let connector else { return nil }
            let upstream: any UpstreamLink
            do {
                upstream = try connector()
            } catch {
                logger.error("cannot reconnect to the upstream", metadata: ["upstream": "\(settings.upstreamName)", "error": "\(error)"])
                failures += 1
                lastReason = "\(error)"
                startFailed(lastReason, needsAPerson: (error as? SpawnError)?.needsAPerson ?? false)
                continue
            }
            generation += 1
            let newGeneration = generation
            let pump = pump(upstream, generation: newGeneration)
            if await replayHandshake(on: upstream, generation: newGeneration), shutdown == nil, !Task.isCancelled {
                announce(upstream, generation: newGeneration)
                return LivePump(link: upstream, generation: newGeneration, pump: pump)
            }
            _ = await upstream.shutdown(grace: .seconds(1))
            await pump.value
            linkLost(newGeneration, reason: "its handshake failed")
            failures += 1
            let died = linkEnds.removeValue(forKey: newGeneration)
            lastReason = died ?? "it did not complete the replayed initialize"
            startFailed(lastReason, needsAPerson: died != nil ? await upstream.needsAPerson() : false)
        }
        return nil
    }

    /// Replays the client's `initialize` and `notifications/initialized` on a new link; true when the
    /// upstream accepted them (or there was nothing to replay yet).
    private func replayHandshake(on upstream: any UpstreamLink, generation newGeneration: Int) async -> Bool {
        guard let handshake else { return true }
        // Paced and retried like any request, but on this link: the session waits for it to be announced.
        let reply = try? await runOwn(ownExchange("initialize", params: handshake.params)) { [self] in
            try await exchange($0, on: upstream, generation: newGeneration)
        }
        guard case .upstream(let response) = reply?.outcome, let result = response.result else {
            logger.error("the replayed initialize failed", metadata: ["upstream": "\(settings.upstreamName)"])
            return false
        }
        if let version = result["protocolVersion"]?.stringValue, version != tools.protocolVersion.rawValue {
            logger.warning("the reconnected upstream negotiated another protocol version",
                           metadata: ["was": "\(tools.protocolVersion.rawValue)", "now": "\(version)"])
        }
        if handshake.initialized { await eras.adapter(forClient: .legacy)?.initializedReplayed(on: upstream, session: self) }
        return true
    }

    /// One request of the proxy's own on a link not yet announced.
    private func exchange(_ exchange: Exchange, on upstream: any UpstreamLink, generation newGeneration: Int) async throws -> Reply {
        try await eras.exchange(exchange, on: upstream, generation: newGeneration, clientID: nil, session: self)
    }

    /// Makes a replayed link the session's link, wakes the requests waiting for it, and checks
    /// whether the tool list changed underneath the client.
    private func announce(_ upstream: any UpstreamLink, generation newGeneration: Int) {
        link = .up(upstream, generation: newGeneration, since: clock.now)
        circuit.reset()
        metrics.upstreamUp(upstream: settings.upstreamName, true)
        logger.notice("upstream reconnected", metadata: ["upstream": "\(settings.upstreamName)", "generation": "\(newGeneration)"])
        linkWaiters.forEach { $0.resume(returning: (upstream, newGeneration)) }
        linkWaiters.removeAll()
        eras.linkAdapter.linkAnnounced(session: self)
        if tools.isComplete {
            let before = tools.fingerprint
            tools.markStale()
            Task {
                try? await tools.refreshIfNeeded(using: self)
                if tools.fingerprint != before { await announceToolListChange() }
            }
        }
    }

    static func label(_ reason: String) -> String {
        if reason.contains("expired") { return "session_expired" }
        if reason.contains("signal") || reason.contains("status") { return "exited" }
        return "closed"
    }
}

extension ProxySession {
    /// Tells the client its tool list changed: a legacy client directly, a modern one on each
    /// subscription that asked for tool list changes. Public for a config reload that changed
    /// what the policy lets the client see.
    public func announceToolListChange() async {
        await eras.announceToolListChange(session: self)
    }
}
