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
        SIGHUP re-reads the config (and so does a change to the file, with --watch-config): targets and
        probe settings change without a restart.
        Example:
          mcpkeeper monitor --config ~/.mcpkeeper/config.json --listen 127.0.0.1:9464
        """
    )

    @Option(help: "Config file (JSON) whose upstreams are the targets.")
    var config: String

    @Flag(help: "Reload the config when its file changes, as SIGHUP does.")
    var watchConfig = false

    @Option(help: "Serve the endpoints here, e.g. 127.0.0.1:9464.")
    var listen: String

    @OptionGroup var diagnostics: DiagnosticOptions

    func run() async throws {
        let logger = diagnostics.bootstrap(label: "mcpkeeper")
        ShutdownSignals.ignoreBrokenPipes()
        let loaded = try Self.load(config)
        let (host, port) = try MetricsServer.address(listen)
        let traces = TraceExport.start(loaded.tracing, environment: ProcessInfo.processInfo.environment, logger: logger)
        let runtime = MonitorRuntime(logger: logger)
        await runtime.apply(loaded)
        let reload = ConfigReloadStatus()
        let server = MetricsServer(host: host, port: port, logger: logger,
                                   metrics: { await runtime.monitor.exposition() + reload.exposition + TraceLoss.shared.exposition },
                                   probe: { await runtime.monitor.probeExposition($0) },
                                   status: { runtime.page(notices: [reload.notice].compactMap { $0 }) })
        let targets = runtime.monitor.targets.joined(separator: ",")
        let app = server.application { bound in
            logger.notice("monitoring", metadata: ["url": "http://\(host):\(bound)/metrics", "status": "http://\(host):\(bound)/status",
                                                   "targets": "\(targets)"])
        }
        let hangups = ReloadSignal(watching: watchConfig ? config : nil, logger: logger)
        let reloading = Task { [config] in
            for await _ in hangups.requests {
                do {
                    await runtime.apply(try Self.load(config))
                    reload.succeeded()
                    logger.notice("config reloaded", metadata: ["targets": "\(runtime.monitor.targets.joined(separator: ","))"])
                } catch {
                    reload.failed("\(error)")
                    logger.error("config reload refused; still monitoring with the previous config", metadata: ["error": "\(error)"])
                }
            }
        }
        defer {
            reloading.cancel()
            runtime.stop()
        }
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        await traces?.shutdown()
    }

    /// The config, validated as a whole: any error refuses it (at start, and on a reload).
    static func load(_ path: String) throws -> KeeperConfig {
        let (loaded, problems) = ConfigLoader().load(path: path)
        guard let loaded, !problems.contains(where: { $0.severity == .error }) else {
            throw ValidationError(ConfigError(file: path, problems: problems).description)
        }
        return loaded
    }
}
