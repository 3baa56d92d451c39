extension ServedUpstream {
    /// Resolves the settings again (the config file as it is now, the same flags), validates them as
    /// at start, and either swaps in the new stages (policy, validation, retry, pacing, log, hints)
    /// for the next request of every session, or keeps running on the old settings and says what is wrong.
    public func reload() async {
        let old = settings
        let new: ServeSettings
        do {
            new = try resolve()
            guard new.upstreamName == old.upstreamName else {
                throw ReloadRefusal("the config now selects upstream \"\(new.upstreamName)\" but this serve runs \"\(old.upstreamName)\"; "
                                    + "restart serve to switch upstreams (or set default_upstream back, or pass --upstream)")
            }
        } catch {
            reloadStatus.failed("\(error)")
            logger.error("config reload refused; still running on the previous config", metadata: ["error": "\(error)"])
            return
        }
        for warning in new.warnings { logger.warning("\(warning.path): \(warning.message)") }
        var log = state.withLock { $0.log }
        if new.logSettings != old.logSettings {
            do { log = try new.openLog() } catch {
                reloadStatus.failed("\(error)")
                logger.error("config reload refused: the new request log cannot be opened; still running on the previous config",
                             metadata: ["error": "\(error)"])
                return
            }
        }
        stages.replace(with: .standard(new, log: log, metrics: metrics, logger: logger))
        state.withLock { $0 = (new, log) }
        if new.listener != old.listener, let server = attachedListener.withLock({ $0 }) { await server.apply(new.listener) }
        reloadStatus.succeeded()
        let change = ReloadChanges(old: old, new: new)
        logger.notice("config reloaded", metadata: ["applied_now": "\(change.live.joined(separator: ","))",
                                                    "applies_to_new_sessions": "\(change.nextSession.joined(separator: ","))",
                                                    "needs_restart": "\(change.restart.joined(separator: ","))"])
        if change.toolListVisible {
            for session in sessions.all { await session.announceToolListChange() }
        }
    }
}
