import ArgumentParser
import Foundation
import KeeperCore
import Logging

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

    @Flag(help: "Reload the config when its file changes, as SIGHUP does.")
    var watchConfig = false

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
        if watchConfig, config == nil {
            throw ValidationError("--watch-config needs --config: it reloads that file when it changes")
        }
    }

    func run() async throws {
        let logger = diagnostics.bootstrap(label: "mcpkeeper")
        ShutdownSignals.ignoreBrokenPipes()
        let metrics = KeeperMetrics()
        var settings: ServeSettings
        do {
            settings = try makeSettings(metrics: metrics)
        } catch {
            StandardError.shared.write("mcpkeeper: \(error)\n")
            _ = StandardError.shared.flush(timeout: .seconds(1))
            throw ExitCode(2)
        }
        for warning in settings.warnings { logger.warning("\(warning.path): \(warning.message)") }
        let traces = TraceExport.start(settings.tracing, environment: ProcessInfo.processInfo.environment, logger: logger)
        // Spans only where a tracer was bootstrapped, and the same after any reload (the exporter starts once).
        settings.traced = traces != nil
        do {
            try await serve(settings: settings, metrics: metrics, logger: logger)
        } catch {
            await traces?.shutdown()
            throw error
        }
        await traces?.shutdown()
    }

    private func serve(settings: ServeSettings, metrics: KeeperMetrics, logger: Logger) async throws {
        let command = self
        let upstream = try ServedUpstream(settings: settings, metrics: metrics, logger: logger) { [traced = settings.traced] in
            var next = try command.makeSettings(metrics: metrics)
            next.traced = traced
            return next
        }
        let hangups = ReloadSignal(watching: watchConfig ? config : nil, logger: logger)
        let reloading = Task { [config] in
            for await _ in hangups.requests {
                guard config != nil else {
                    logger.notice("SIGHUP: nothing to reload (serve was started without --config)")
                    continue
                }
                await upstream.reload()
            }
        }
        defer { reloading.cancel() }
        metrics.board.register(settings.upstreamName)
        let live = MetricsOptions.LiveProbeState(board: metrics.board)
        let metricsServer = try metricsOptions.start(registry: metrics, live: live, reload: config == nil ? nil : upstream.reloadStatus, logger: logger)
        defer { metricsServer?.cancel() }
        defer {
            upstream.flushLogs()
            _ = StandardError.shared.flush(timeout: .seconds(1))
        }
        let (options, name, whoami, rules) = (metricsOptions, settings.upstreamName, settings.whoami, settings.outcomeRules)
        let probe: @Sendable (ProxySession) -> Task<Void, Never>? = { session in
            options.probeLoop(session: session, target: name, whoami: whoami, rules: rules, live: live)
        }
        if let listen = listener.listen {
            try await listener.serve(listen: listen, upstream: upstream, logger: logger, probe: probe)
        } else {
            try await serveStdio(upstream, logger: logger, probe: probe)
        }
    }

    /// The settings from the flags and the config file as it is now: at start, and again at each SIGHUP.
    func makeSettings(metrics: KeeperMetrics) throws -> ServeSettings {
        var settings = try ServeSettings(command: command, url: url, transport: transport, headers: header, configPath: config, upstream: upstream, name: name,
                                         logPath: log, shutdownGrace: shutdownGrace, metrics: metrics, interactiveLogin: interactiveLogin)
        if readOnly { settings.policy.tier = .read }
        settings.requestTimeout = requestTimeout ?? settings.requestTimeout
        if let schemaProfile { settings.validation.schemaProfile = schemaProfile }
        if listener.listen != nil { settings.listener = listener.limits(base: settings.listener) }
        return settings
    }

    private func serveStdio(_ upstream: ServedUpstream, logger: Logger, probe: (ProxySession) -> Task<Void, Never>?) async throws {
        // The one session's event loop: it reads stdin and the child's stdout and runs the session.
        let thread = SessionThread(name: "session")
        let downstream = StdioChannel(readingOn: thread)
        let stop = StopSignal()
        let signals = ShutdownSignals { signal in
            logger.notice("stopping", metadata: ["signal": "\(signal)"])
            Task { await stop.fire() }
        }
        let end = await upstream.runStdioSession(downstream, on: thread, stop: stop, probe: probe)
        withExtendedLifetime(signals) {}
        _ = downstream.flush(timeout: .seconds(2))
        switch end {
        case .unstartable, .session(.upstreamEnded): throw ExitCode(1)
        case .session(.clientClosed): break
        }
    }
}

extension HTTPUpstreamSettings.Transport: ExpressibleByArgument {}
