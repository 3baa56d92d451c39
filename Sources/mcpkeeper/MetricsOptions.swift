import ArgumentParser
import KeeperCore
import Logging
import ServiceLifecycle
import Synchronization

/// `serve --metrics`: the proxy's own Prometheus metrics, and optionally a periodic probe of its
/// upstream over the live session.
struct MetricsOptions: ParsableArguments {
    @Option(help: "Serve Prometheus metrics at http://ADDRESS/metrics, e.g. 127.0.0.1:9465.")
    var metrics: String?

    @Option(help: "With --metrics, probe the upstream over the live session this often (tools/list and whoami), e.g. 60s.",
            transform: DurationFlag.parse)
    var probeInterval: Duration?

    func validate() throws {
        if let metrics {
            do { _ = try MetricsServer.address(metrics) } catch { throw ValidationError("--metrics: \(error)") }
        }
    }

    /// Latest live-probe result, rendered into /metrics next to the proxy's counters and kept on
    /// the status page's board.
    final class LiveProbeState: Sendable {
        private let state = Mutex<(ProbeResult?, ProbeHistory)>((nil, ProbeHistory()))
        let board: StatusBoard

        init(board: StatusBoard) { self.board = board }

        func record(_ result: ProbeResult) {
            state.withLock { $0.0 = result; $0.1.record(result) }
            board.record(result)
        }
        var previousHash: String? { state.withLock { $0.1.toolSurfaceHash } }
        var exposition: String {
            state.withLock { s in
                guard let result = s.0 else { return "" }
                var text = PrometheusText()
                ProbeRenderer.prometheus(result, history: s.1, into: &text)
                return text.text
            }
        }
    }

    /// How often serve's status page reloads itself.
    static let statusRefreshSeconds = 10

    /// Starts the metrics endpoint in the background; the returned task ends it when cancelled.
    /// `reload`: how the last config reload went, when serve has a config to reload.
    func start(registry: KeeperMetrics, live: LiveProbeState, reload: ConfigReloadStatus?, logger: Logger) throws -> Task<Void, Never>? {
        guard let metrics else { return nil }
        let (host, port) = try MetricsServer.address(metrics)
        let server = MetricsServer(host: host, port: port, logger: logger,
                                   metrics: { registry.exposition() + live.exposition + (reload?.exposition ?? "") + TraceLoss.shared.exposition },
                                   status: {
                                       StatusPage.html(registry.board.page(source: "serve", refreshSeconds: Self.statusRefreshSeconds,
                                                                           notices: [reload?.notice].compactMap { $0 }))
                                   })
        let app = server.application { bound in
            logger.notice("serving metrics", metadata: ["url": "http://\(host):\(bound)/metrics", "status": "http://\(host):\(bound)/status"])
        }
        return Task {
            let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
            try? await withTaskCancellationHandler {
                try await group.run()
            } onCancel: {
                Task { await group.triggerGracefulShutdown() }
            }
        }
    }

    /// Probes over `session` every interval until cancelled.
    /// `rules`: the upstream's own `outcome_rules`, so the live probe judges answers as serve does.
    func probeLoop(session: ProxySession, target: String, whoami: String?, rules: [NotionOutcomeRule],
                   live: LiveProbeState) -> Task<Void, Never>? {
        guard metrics != nil, let interval = probeInterval else { return nil }
        let prober = LiveProbe(target: target, whoami: whoami, classifier: NotionOutcomeClassifier(rules: rules))
        return Task {
            while !Task.isCancelled {
                live.record(await prober.probe(through: session, previousToolSurface: live.previousHash))
                try? await Task.sleep(for: interval)
            }
        }
    }
}
