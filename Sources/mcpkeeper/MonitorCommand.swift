import ArgumentParser
import Foundation
import KeeperCore
import Logging
import ServiceLifecycle

struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Probe every configured upstream on an interval and serve /metrics, /probe?target=NAME, /status and /healthz.",
        discussion: """
        Each upstream in the config is a target, probed every probe.interval (jittered) with probe.timeout.
        Prometheus scrapes /metrics for all targets, or /probe?target=NAME for a fresh probe of one
        (multi-target, as with blackbox_exporter). See probes/prometheus/ for scrape configs and alerts.
        /status is an HTML page for people: each target's health, latency, login and last errors.
        Example:
          mcpkeeper monitor --config ~/.mcpkeeper/config.json --listen 127.0.0.1:9464
        """
    )

    @Option(help: "Config file (JSON) whose upstreams are the targets.")
    var config: String

    @Option(help: "Serve the endpoints here, e.g. 127.0.0.1:9464.")
    var listen: String

    @OptionGroup var diagnostics: DiagnosticOptions

    func run() async throws {
        let logger = diagnostics.bootstrap(label: "mcpkeeper")
        ShutdownSignals.ignoreBrokenPipes()
        let (loaded, problems) = ConfigLoader().load(path: config)
        guard let loaded, !problems.contains(where: { $0.severity == .error }) else {
            throw ValidationError(ConfigError(file: config, problems: problems).description)
        }
        var plans: [Prober.Plan] = []
        var unavailable: [(target: String, reason: String)] = []
        for (name, entry) in loaded.upstreams {
            do {
                var plan = try Prober.Plan(configured: name, entry: entry,
                                           tokens: try TokenStore.configured(stateDirectory: loaded.stateDirectory, key: loaded.tokenKey))
                plan.timeout = loaded.probe.timeout
                plans.append(plan)
            } catch {
                logger.warning("an upstream cannot be probed; reporting it as UNKNOWN", metadata: ["upstream": "\(name)", "error": "\(error)"])
                unavailable.append((name, "\(error)"))
            }
        }
        let (host, port) = try MetricsServer.address(listen)
        let monitor = Monitor(plans: plans, unavailable: unavailable, interval: loaded.probe.interval, prober: Prober(logger: logger),
                              clock: SystemStageClock(), random: SystemRandomSource())
        let logins = Self.logins(loaded)
        let refresh = Int(min(60, max(5, loaded.probe.interval.milliseconds / 1000)))
        let server = MetricsServer(host: host, port: port, logger: logger,
                                   metrics: { await monitor.exposition() },
                                   probe: { await monitor.probeExposition($0) },
                                   status: { StatusPage.html(monitor.board.page(source: "monitor", refreshSeconds: refresh, token: logins)) })
        let targets = plans.map(\.target).joined(separator: ",")
        let app = server.application { bound in
            logger.notice("monitoring", metadata: ["url": "http://\(host):\(bound)/metrics", "status": "http://\(host):\(bound)/status",
                                                   "targets": "\(targets)"])
        }
        let schedule = Task { await monitor.run() }
        defer { schedule.cancel() }
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
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
