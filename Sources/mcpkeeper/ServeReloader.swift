import Foundation
import KeeperCore
import Logging
import Synchronization

/// `serve --config` on SIGHUP: re-reads the config with the same flags, validates it as at start,
/// and either swaps in the new stages (policy, validation, retry, pacing, log, hints) for the next
/// request of every session, or keeps running on the old config and says what is wrong.
final class ServeReloader: Sendable {
    let stages: SwappableStages
    let sessions = LiveSessions()
    let status = ConfigReloadStatus()
    private let state: Mutex<(plan: ServeSettings, log: RequestLog?)>
    private let build: @Sendable () throws -> ServeSettings
    /// The HTTP listener of `serve --listen`, whose limits a reload changes in place.
    private let listener = Mutex<StreamableHTTPServer?>(nil)
    private let metrics: KeeperMetrics
    private let logger: Logger

    init(plan: ServeSettings, log: RequestLog?, metrics: KeeperMetrics, logger: Logger, build: @escaping @Sendable () throws -> ServeSettings) {
        state = Mutex((plan, log))
        stages = SwappableStages(.standard(plan, log: log, metrics: metrics, logger: logger))
        self.build = build
        self.metrics = metrics
        self.logger = logger
    }

    func attach(_ server: StreamableHTTPServer) {
        listener.withLock { $0 = server }
    }

    /// The plan new sessions start with.
    var plan: ServeSettings { state.withLock { $0.plan } }
    /// The request log the current stages write (flushed at exit).
    var log: RequestLog? { state.withLock { $0.log } }

    func reload() async {
        let old = plan
        let new: ServeSettings
        do {
            new = try build()
            guard new.upstreamName == old.upstreamName else {
                throw ReloadRefusal("the config now selects upstream \"\(new.upstreamName)\" but this serve runs \"\(old.upstreamName)\"; "
                                    + "restart serve to switch upstreams (or set default_upstream back, or pass --upstream)")
            }
        } catch {
            status.failed("\(error)")
            logger.error("config reload refused; still running on the previous config", metadata: ["error": "\(error)"])
            return
        }
        for warning in new.warnings { logger.warning("\(warning.path): \(warning.message)") }
        var log = self.log
        if new.logSettings != old.logSettings {
            do { log = try new.openLog() } catch {
                status.failed("\(error)")
                logger.error("config reload refused: the new request log cannot be opened; still running on the previous config",
                             metadata: ["error": "\(error)"])
                return
            }
        }
        stages.replace(with: .standard(new, log: log, metrics: metrics, logger: logger))
        state.withLock { $0 = (new, log) }
        if new.listener != old.listener, let server = listener.withLock({ $0 }) { await server.apply(new.listener) }
        status.succeeded()
        let change = ReloadChanges(old: old, new: new)
        logger.notice("config reloaded", metadata: ["applied_now": "\(change.live.joined(separator: ","))",
                                                    "applies_to_new_sessions": "\(change.nextSession.joined(separator: ","))",
                                                    "needs_restart": "\(change.restart.joined(separator: ","))"])
        if change.toolListVisible {
            for session in sessions.all { await session.announceToolListChange() }
        }
    }
}

/// A reload that validated but cannot be applied without a restart.
struct ReloadRefusal: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Which settings a reload changed, grouped by when they take effect.
struct ReloadChanges {
    var live: [String] = []
    var nextSession: [String] = []
    var restart: [String] = []
    /// Whether what a client sees in `tools/list` may differ (so it is told `list_changed`).
    var toolListVisible = false

    init(old: ServeSettings, new: ServeSettings) {
        if old.policy != new.policy { live.append("policy") }
        if old.validation != new.validation { live.append("validation") }
        if old.retry != new.retry { live.append("retry") }
        if old.pacing != new.pacing || old.paced != new.paced { live.append("pacing") }
        if old.hints != new.hints { live.append("hints") }
        if old.logSettings != new.logSettings { live.append("log") }
        if old.outcomeRules != new.outcomeRules { live.append("outcome_rules") }
        toolListVisible = old.policy != new.policy || old.validation.schemaRepair != new.validation.schemaRepair
            || old.validation.schemaProfile != new.validation.schemaProfile
        if old.upstreamConfig != new.upstreamConfig { nextSession.append("upstream") }
        if old.requestTimeout != new.requestTimeout || old.requestTimeoutMax != new.requestTimeoutMax || old.inputWait != new.inputWait {
            nextSession.append("timeouts")
        }
        if old.listener.maxInFlight != new.listener.maxInFlight { nextSession.append("listener.max_in_flight") }
        var limits = new.listener
        limits.maxInFlight = old.listener.maxInFlight
        if limits != old.listener { live.append("listener") }
        if old.exposeToNetwork != new.exposeToNetwork { restart.append("listener.expose_to_network") }
        if old.stateDirectory != new.stateDirectory { restart.append("state_dir") }
    }
}
