extension ServedUpstream {
    /// One client session over `downstream`, against a fresh upstream link, until either side ends;
    /// a link made after the upstream restarts connects as the settings say then (a reload may change
    /// them). Listener sessions are bounded in the requests they keep in flight (`listener.max_in_flight`);
    /// `executor` (a stdio session's thread, the listener's loops) runs the session and reads a child's stdout.
    func runSession(downstream: any MessageChannel, fromListener: Bool, on executor: (any PipeReadingExecutor)? = nil,
                    onStart: (ProxySession) -> Void) async throws(SpawnError) -> ProxySession.End {
        let current = settings
        let (name, connect, logger, metrics, quarantine) = (current.upstreamName, self.connect, self.logger, self.metrics, current.quarantine)
        let upstream = try connect(current.target, name, logger, executor)
        var settings = ProxySession.Settings(sessionID: SessionID.random(), upstreamName: name, shutdownGrace: current.target.shutdownGrace)
        settings.reconnectBackoff = Backoff(base: current.retry.baseDelay, cap: current.retry.maxDelay)
        settings.executor = executor
        if fromListener { settings.maxInFlight = current.listener.maxInFlight }
        settings.requestTimeout = current.requestTimeout
        settings.requestTimeoutMax = max(current.requestTimeoutMax, current.requestTimeout)
        settings.parkedCallTimeout = current.inputWait
        let session = ProxySession(
            settings: settings,
            downstream: downstream, upstream: upstream, pipeline: Pipeline([stages]), log: sessionLog, logger: logger,
            connector: { [self] in try connect(self.settings.target, name, logger, executor) }, metrics: metrics)
        onStart(session)
        metrics.sessions(upstream: name, delta: 1)
        let watch = quarantine.map { quarantine in
            Task { [sessionID = settings.sessionID] in
                await QuarantineWatch.run(quarantine, session: sessionID) {
                    logger.notice("an approval released quarantined tools; telling the client its tool list changed", metadata: ["upstream": "\(name)"])
                    // Through the session, so a 2026-07-28 client hears it on its subscription.
                    await session.announceToolListChange()
                }
            }
        }
        defer {
            metrics.sessions(upstream: name, delta: -1)
            watch?.cancel()
            quarantine?.forget(session: settings.sessionID)
        }
        if let child = upstream as? ChildProcessChannel {
            logger.info("proxying", metadata: ["upstream": "\(name)", "pid": "\(child.process.pid)"])
        } else {
            logger.info("proxying", metadata: ["upstream": "\(name)"])
        }
        return await session.run()
    }
}
