/// Every request gets an answer in bounded time: a request the upstream does not answer within
/// `requestTimeout` (restarted by each progress notification, up to `requestTimeoutMax`) fails with
/// an error that says so, and the upstream is told to stop working on it.
extension ProxySession {
    func watchDeadlines() async {
        let tick = min(.seconds(1), settings.requestTimeout / 4)
        while !Task.isCancelled {
            do { try await clock.sleep(for: tick) } catch { return }
            expireOverdue()
            await eras.modernClient.expireParkedCalls(session: self)
        }
    }

    func expireOverdue() {
        let now = clock.now
        for (id, pending) in toUpstream.unsettled(subscriptions: false) where pending.deadline <= now {
            let waited = now - pending.sentAt
            logger.warning("the upstream did not answer in time; cancelled", metadata: [
                "upstream": "\(settings.upstreamName)", "method": "\(pending.exchange.method)", "waited_ms": "\(waited.milliseconds)",
            ])
            settle(id, Reply(.proxy(UpstreamFailure.timedOut(after: waited, upstream: settings.upstreamName,
                                                             method: pending.exchange.method, tool: pending.exchange.tool),
                                    outcome: "timeout")))
            guard let upstream = link.upstream, pending.generation == generation else { continue }
            let cancel = JSONRPCMessage.notification(method: "notifications/cancelled", params: [
                "requestId": id.json, "reason": "mcpkeeper: no answer within the request timeout",
            ])
            Task { try? await upstream.send(cancel) }
        }
    }

    /// The upstream sent something mcpkeeper cannot deliver (unreadable, over the line limit, or an
    /// answer under an id it was never given). When exactly one request waits on the link, it is the
    /// one this belonged to, and it fails now instead of at its timeout; otherwise the timeout decides.
    func undeliverableAnswer(_ what: String) {
        logger.warning("the upstream sent something that cannot be delivered", metadata: ["upstream": "\(settings.upstreamName)", "what": "\(what)"])
        let waiting = toUpstream.unsettled(onGeneration: generation, subscriptions: false)
        guard waiting.count == 1, let (id, pending) = waiting.first else { return }
        failUnknown(id, pending, reason: "it answered with \(what)")
    }

    /// Ends a request sent upstream whose outcome cannot be known, with the error that says so.
    func failUnknown(_ id: RequestID, _ pending: PendingUpstream, reason: String) {
        settle(id, Reply(.proxy(UpstreamFailure.outcomeUnknown(upstream: settings.upstreamName, reason: reason,
                                                               method: pending.exchange.method, tool: pending.exchange.tool), outcome: "failed")))
    }

    /// A progress notification from the upstream: the request it belongs to is alive, so its wait starts again.
    func progressed(_ message: JSONRPCMessage) {
        guard let token = message.params?["progressToken"] else { return }
        toUpstream.progressed(token, now: clock.now, timeout: settings.requestTimeout, max: settings.requestTimeoutMax)
    }
}
