import ArgumentParser
import Foundation
import KeeperCore
import Logging
import Synchronization

/// `serve --listen`: the proxy as a Streamable HTTP MCP server, one upstream link per client session.
struct ListenerOptions: ParsableArguments {
    @Option(help: "Serve MCP over Streamable HTTP at this address, e.g. http://127.0.0.1:8765 (endpoint /mcp).")
    var listen: String?

    @Flag(help: "Accept clients without the bearer key (only for trusted machines).")
    var noAuth = false

    @Option(help: "Where the listener's bearer key is kept (default: STATE_DIR/listener.key).")
    var keyFile: String?

    @Option(help: "Also allow this Origin (repeatable); loopback origins are always allowed.")
    var allowOrigin: [String] = []

    @Option(help: "At most this many client sessions at once (each has its own upstream).")
    var maxSessions = 16

    @Option(help: "End a session after this long without traffic, e.g. 30m.")
    var idleTimeout = "30m"

    @Option(help: "Largest request body accepted, in bytes.")
    var maxBodyBytes = 4 << 20

    @Option(help: "MCP 2026-07-28 clients: a comment line on open SSE streams this often, e.g. 15s; it keeps idle subscriptions open and notices a client that left (which cancels its request).")
    var sseKeepalive = "15s"

    func settings(listen: String, stateDirectory: String, logger: Logger) throws -> HTTPListenerSettings {
        var settings = try HTTPListenerSettings(listen: listen)
        settings.idleTimeout = try DurationFlag.parse(idleTimeout, flag: "--idle-timeout") ?? settings.idleTimeout
        settings.maxSessions = maxSessions
        settings.maxBodyBytes = maxBodyBytes
        settings.allowedOrigins = allowOrigin
        settings.servedEras = .dual
        settings.sseKeepAlive = try DurationFlag.parse(sseKeepalive, flag: "--sse-keepalive") ?? settings.sseKeepAlive
        settings.supportedVersions = MCPProtocolVersion.allCases.reversed().map(\.rawValue)
        if !noAuth {
            let path = keyFile ?? "\(stateDirectory)/listener.key"
            let (key, created) = try ListenerKey.loadOrCreate(at: path)
            settings.bearerKey = key
            logger.notice(created ? "generated a bearer key for the listener" : "clients must send the listener's bearer key",
                          metadata: ["key_file": "\(path)"])
        }
        return settings
    }

    /// `probe` starts the live probe over a session and is cancelled when that session ends; one
    /// session at a time carries it (the next one takes over).
    func serve(listen: String, plan: ServePlan, pipeline: Pipeline, log: RequestLog?, metrics: KeeperMetrics, logger: Logger,
               probe: @escaping @Sendable (ProxySession) -> Task<Void, Never>? = { _ in nil }) async throws {
        let prober = Mutex<(owner: String?, task: Task<Void, Never>?)>((nil, nil))
        let settings = try settings(listen: listen, stateDirectory: plan.stateDirectory, logger: logger)
        let server = StreamableHTTPServer(settings: settings, logger: logger) { channel in
            do {
                let id = (channel as? HTTPSessionChannel)?.sessionID ?? "stateless"
                _ = try await plan.runSession(downstream: channel, pipeline: pipeline, log: log, metrics: metrics, logger: logger) { session in
                    prober.withLock { state in
                        guard state.task == nil else { return }
                        state = (id, probe(session))
                    }
                }
                prober.withLock { state in
                    guard state.owner == id else { return }
                    state.task?.cancel()
                    state = (nil, nil)
                }
            } catch {
                logger.error("cannot start the upstream for a new session", metadata: ["error": "\(error)"])
            }
        }
        let signals = ShutdownSignals { signal in
            logger.notice("stopping", metadata: ["signal": "\(signal)"])
            Task { await server.shutdown() }
        }
        try await server.run { port in
            logger.notice("listening", metadata: ["url": "http://\(settings.host):\(port)\(settings.path)"])
        }
        withExtendedLifetime(signals) {}
    }
}
