import ArgumentParser
import Foundation
import KeeperCore
import Logging
import Synchronization

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the proxy: an MCP server (stdio, or Streamable HTTP with --listen) in front of one upstream.",
        discussion: """
        The upstream is, in order: the command after `--`; --url; the upstream named by --upstream (or
        the config's default_upstream, else its first) from --config; else the built-in Notion sandbox.
        Examples:
          mcpkeeper serve --config config.example.json
          mcpkeeper serve -- npx -y @notionhq/notion-mcp-server
          mcpkeeper serve --listen http://127.0.0.1:8765 -- npx -y @notionhq/notion-mcp-server
          mcpkeeper serve --url http://127.0.0.1:3000/mcp
        """
    )

    @Option(help: "Config file (JSON); see config.example.json.")
    var config: String?

    @Option(help: "Which upstream of the config to serve.")
    var upstream: String?

    @Option(help: "A Streamable HTTP upstream, e.g. http://127.0.0.1:3000/mcp.")
    var url: String?

    @Option(help: "With --url: auto (Streamable HTTP, else HTTP+SSE), streamable-http, or sse (the 2024-11-05 transport).")
    var transport: HTTPUpstreamSettings.Transport?

    @Option(help: "With --url: send this header upstream, as \"Name: value\" (repeatable).")
    var header: [String] = []

    @Option(help: "The upstream's name in logs and metrics labels (defaults to the config name or the command's name).")
    var name: String?

    @Option(help: "Write the request log (JSONL) here; overrides the config's log.path.")
    var log: String?

    @Option(help: "How long the upstream gets to exit after EOF, and again after SIGTERM, e.g. 2s.", transform: DurationFlag.parse)
    var shutdownGrace: Duration?

    @Option(help: "How long the upstream may take to answer a request before it is cancelled and the client told, e.g. 60s; each progress notification restarts it (config timeouts.request).",
            transform: DurationFlag.parse)
    var requestTimeout: Duration?

    @Flag(help: "Hide and refuse every tool that is not read-only (policy tier \"read\").")
    var readOnly = false

    @Flag(help: "OAuth upstreams: with no usable login, or a scope missing, run the browser login on the request that needs it (URL on stderr), as auth.interactive does.")
    var interactiveLogin = false

    @Option(help: "strict: rewrite tool schemas for clients that accept only a subset of JSON Schema (no $ref, no $defs); overrides validation.schema_profile.")
    var schemaProfile: ValidationSettings.SchemaProfile?

    @OptionGroup var listener: ListenerOptions

    @OptionGroup var metricsOptions: MetricsOptions

    @OptionGroup var diagnostics: DiagnosticOptions

    @Argument(parsing: .postTerminator, help: "The upstream command and its arguments, after `--`.")
    var command: [String] = []

    func validate() throws {
        if !header.isEmpty, url == nil {
            throw ValidationError("--header only applies with --url; headers of a config upstream go in its \"headers\"")
        }
    }

    func run() async throws {
        let logger = diagnostics.bootstrap(label: "mcpkeeper")
        ShutdownSignals.ignoreBrokenPipes()
        let metrics = KeeperMetrics()
        var plan: ServeSettings
        do {
            plan = try makePlan(metrics: metrics)
        } catch {
            StandardError.shared.write("mcpkeeper: \(error)\n")
            _ = StandardError.shared.flush(timeout: .seconds(1))
            throw ExitCode(2)
        }
        for warning in plan.warnings { logger.warning("\(warning.path): \(warning.message)") }
        let traces = TraceExport.start(plan.tracing, environment: ProcessInfo.processInfo.environment, logger: logger)
        // Spans only where a tracer was bootstrapped, and the same after any reload (the exporter starts once).
        plan.traced = traces != nil
        do {
            try await serve(plan: plan, metrics: metrics, logger: logger)
        } catch {
            await traces?.shutdown()
            throw error
        }
        await traces?.shutdown()
    }

    private func serve(plan: ServeSettings, metrics: KeeperMetrics, logger: Logger) async throws {
        let requestLog = try plan.openLog()
        let command = self
        let reloader = ServeReloader(plan: plan, log: requestLog, metrics: metrics, logger: logger) { [traced = plan.traced] in
            var next = try command.makePlan(metrics: metrics)
            next.traced = traced
            return next
        }
        let pipeline = Pipeline([reloader.stages])
        let hangups = ReloadSignal()
        let reloading = Task { [config] in
            for await _ in hangups.requests {
                guard config != nil else {
                    logger.notice("SIGHUP: nothing to reload (serve was started without --config)")
                    continue
                }
                await reloader.reload()
            }
        }
        defer { reloading.cancel() }
        metrics.board.register(plan.upstreamName)
        let live = MetricsOptions.LiveProbeState(board: metrics.board)
        let metricsServer = try metricsOptions.start(registry: metrics, live: live, reload: config == nil ? nil : reloader.status, logger: logger)
        defer { metricsServer?.cancel() }
        defer {
            requestLog?.flush()
            reloader.log?.flush()
            _ = StandardError.shared.flush(timeout: .seconds(1))
        }
        if let listen = listener.listen {
            let (options, target, whoami, rules) = (metricsOptions, plan.upstreamName, plan.whoami, plan.outcomeRules)
            try await listener.serve(listen: listen, plan: plan, pipeline: pipeline, log: requestLog, metrics: metrics, logger: logger,
                                     reloader: reloader) { session in
                options.probeLoop(session: session, target: target, whoami: whoami, rules: rules, live: live)
            }
        } else {
            try await serveStdio(plan: plan, pipeline: pipeline, log: requestLog, metrics: metrics, live: live, reloader: reloader, logger: logger)
        }
    }

    /// The plan from the flags and the config file as it is now: at start, and again at each SIGHUP.
    func makePlan(metrics: KeeperMetrics) throws -> ServeSettings {
        var plan = try ServeSettings(command: command, url: url, transport: transport, headers: header, configPath: config, upstream: upstream, name: name,
                                 logPath: log, shutdownGrace: shutdownGrace, metrics: metrics, interactiveLogin: interactiveLogin)
        if readOnly { plan.policy.tier = .read }
        plan.requestTimeout = requestTimeout ?? plan.requestTimeout
        if let schemaProfile { plan.validation.schemaProfile = schemaProfile }
        if listener.listen != nil { plan.listener = listener.limits(base: plan.listener) }
        return plan
    }

    private func serveStdio(plan: ServeSettings, pipeline: Pipeline, log: RequestLog?, metrics: KeeperMetrics,
                            live: MetricsOptions.LiveProbeState, reloader: ServeReloader, logger: Logger) async throws {
        let downstream = StdioChannel()
        let stop = StopSignal()
        let signals = ShutdownSignals { signal in
            logger.notice("stopping", metadata: ["signal": "\(signal)"])
            Task { await stop.fire() }
        }
        let end: ProxySession.End
        let probing = Mutex<Task<Void, Never>?>(nil)
        defer { probing.withLock { $0?.cancel() } }
        do {
            // The one session's next link (after an upstream restart) starts the upstream as the config now says.
            end = try await plan.runSession(downstream: downstream, pipeline: pipeline, log: log, metrics: metrics, logger: logger,
                                            reconnectTo: { reloader.plan.target }) { session in
                reloader.sessions.add(session)
                Task { await stop.onFire { await session.stop() } }
                let loop = metricsOptions.probeLoop(session: session, target: plan.upstreamName, whoami: plan.whoami,
                                                  rules: plan.outcomeRules, live: live)
                probing.withLock { $0 = loop }
            }
        } catch {
            logger.critical("\(error)")
            let answering = Task { await UnstartableUpstream.answer(downstream, upstream: plan.upstreamName, reason: "\(error)") }
            await stop.onFire { answering.cancel() }
            await answering.value
            _ = downstream.flush(timeout: .seconds(2))
            throw ExitCode(1)
        }
        withExtendedLifetime(signals) {}
        _ = downstream.flush(timeout: .seconds(2))
        if case .upstreamEnded = end { throw ExitCode(1) }
    }
}

extension HTTPUpstreamSettings.Transport: ExpressibleByArgument {}

/// A one-shot stop request that may arrive before or after its action is registered.
actor StopSignal {
    private var fired = false
    private var action: (@Sendable () async -> Void)?

    func fire() async {
        guard !fired else { return }
        fired = true
        await action?()
    }

    func onFire(_ action: @escaping @Sendable () async -> Void) async {
        self.action = action
        if fired { await action() }
    }
}
