import KeeperCore
import Logging

extension ServeSettings {
    /// One client session against a fresh upstream link, until either side ends.
    /// One session; `reconnectTo` names the upstream each new link connects to (a reload may change it).
    func runSession(downstream: any MessageChannel, pipeline: Pipeline, log: RequestLog?, metrics: KeeperMetrics,
                    logger: Logger, reconnectTo: (@Sendable () -> UpstreamTarget)? = nil,
                    onStart: (ProxySession) -> Void = { _ in }) async throws(SpawnError) -> ProxySession.End {
        let upstream = try target.connect(name: upstreamName, logger: logger)
        let (target, name) = (self.target, upstreamName)
        let current = reconnectTo ?? { target }
        var settings = ProxySession.Settings(sessionID: SessionID.random(), upstreamName: upstreamName, shutdownGrace: target.shutdownGrace)
        settings.reconnectBackoff = Backoff(base: retry.baseDelay, cap: retry.maxDelay)
        if !(downstream is StdioChannel) { settings.maxInFlight = listener.maxInFlight }
        settings.requestTimeout = requestTimeout
        settings.requestTimeoutMax = max(requestTimeoutMax, requestTimeout)
        settings.parkedCallTimeout = inputWait
        let session = ProxySession(
            settings: settings,
            downstream: downstream, upstream: upstream, pipeline: pipeline, log: log, logger: logger,
            connector: { try current().connect(name: name, logger: logger) }, metrics: metrics)
        onStart(session)
        metrics.sessions(upstream: upstreamName, delta: 1)
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
            metrics.sessions(upstream: upstreamName, delta: -1)
            watch?.cancel()
            quarantine?.forget(session: settings.sessionID)
        }
        if let child = upstream as? ChildProcessChannel {
            logger.info("proxying", metadata: ["upstream": "\(upstreamName)", "pid": "\(child.process.pid)"])
        } else {
            logger.info("proxying", metadata: ["upstream": "\(upstreamName)"])
        }
        return await session.run()
    }
}

/// Session ids for logs: 16 hex digits from the system's random source.
enum SessionID {
    static func random() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
