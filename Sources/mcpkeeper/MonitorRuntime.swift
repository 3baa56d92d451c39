import Foundation
import KeeperCore
import Logging
import Synchronization

/// The monitor that is running and its schedule, replaced as a whole when the config is reloaded:
/// the new one keeps the status board and each remaining target's history.
final class MonitorRuntime: Sendable {
    private struct Current {
        var monitor: Monitor
        var schedule: Task<Void, Never>?
        var refreshSeconds: Int
        var logins: @Sendable (String) -> TokenStatus?
    }

    let board = StatusBoard()
    private let logger: Logger
    private let current: Mutex<Current>

    init(logger: Logger) {
        self.logger = logger
        current = Mutex(Current(monitor: Monitor(plans: [], interval: .seconds(60), prober: Prober(logger: logger), clock: SystemStageClock(),
                                                 random: SystemRandomSource(), board: board),
                                refreshSeconds: 60, logins: { _ in nil }))
    }

    var monitor: Monitor { current.withLock { $0.monitor } }

    /// Builds the monitor `config` describes and starts its schedule in place of the running one.
    func apply(_ config: KeeperConfig) async {
        let previous = current.withLock { $0.monitor }
        let (plans, unavailable) = Self.plans(config, logger: logger)
        let monitor = Monitor(plans: plans, unavailable: unavailable, interval: config.probe.interval, prober: Prober(logger: logger),
                              clock: SystemStageClock(), random: SystemRandomSource(), board: board, histories: await previous.histories)
        let refresh = Int(min(60, max(5, config.probe.interval.milliseconds / 1000)))
        let logins = Self.logins(config)
        let schedule = Task { await monitor.run() }
        let old = current.withLock { state in
            let old = state.schedule
            state = Current(monitor: monitor, schedule: schedule, refreshSeconds: refresh, logins: logins)
            return old
        }
        old?.cancel()
    }

    func stop() { current.withLock { $0.schedule?.cancel() } }

    func page(notices: [String]) -> String {
        let (refresh, logins) = current.withLock { ($0.refreshSeconds, $0.logins) }
        return StatusPage.html(board.page(source: "monitor", refreshSeconds: refresh, notices: notices, token: logins))
    }

    static func plans(_ config: KeeperConfig, logger: Logger) -> ([Prober.Plan], [(target: String, reason: String)]) {
        var plans: [Prober.Plan] = []
        var unavailable: [(target: String, reason: String)] = []
        for (name, entry) in config.upstreams {
            do {
                var plan = try Prober.Plan(configured: name, entry: entry,
                                           tokens: try TokenStore.configured(stateDirectory: config.stateDirectory, key: config.tokenKey),
                                           stateDirectory: config.stateDirectory)
                plan.timeout = config.probe.timeout
                plans.append(plan)
            } catch {
                logger.warning("an upstream cannot be probed; reporting it as UNKNOWN", metadata: ["upstream": "\(name)", "error": "\(error)"])
                unavailable.append((name, "\(error)"))
            }
        }
        return (plans, unavailable)
    }

    /// Each OAuth upstream's login, read from the token store when the page is drawn (so a login in
    /// another terminal shows at the next refresh); nil for upstreams without OAuth.
    static func logins(_ config: KeeperConfig) -> @Sendable (String) -> TokenStatus? {
        let oauth = Set(config.upstreams.compactMap { entry -> String? in
            if case .oauth = entry.upstream.auth { return entry.name }
            return nil
        })
        let store = try? TokenStore.configured(stateDirectory: config.stateDirectory, key: config.tokenKey)
        return { name in
            guard oauth.contains(name) else { return nil }
            guard let store else { return .unusable("the token store cannot be opened; run mcpkeeper doctor to see why") }
            return TokenStatus.read(from: store, upstream: name)
        }
    }
}
