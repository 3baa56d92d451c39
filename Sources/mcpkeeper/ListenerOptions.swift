import ArgumentParser
import Foundation
import KeeperCore
import Logging

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

    @Option(help: "At most this many client sessions at once (each has its own upstream; default 16, config listener.max_sessions).")
    var maxSessions: Int?

    @Option(help: "End a session after this long without traffic, e.g. 30m (config listener.session_idle_timeout).", transform: DurationFlag.parse)
    var idleTimeout: Duration?

    @Option(help: "End a session whose handshake never completed, or that was never used after it, after this long, e.g. 60s (config listener.unused_session_timeout).", transform: DurationFlag.parse)
    var unusedSessionTimeout: Duration?

    @Option(help: "Largest request body accepted, in bytes (default 4 MiB, config listener.max_body_bytes).")
    var maxBodyBytes: Int?

    @Option(help: "At most this many open connections (default 256, config listener.max_connections); idle ones make room first.")
    var maxConnections: Int?

    @Option(help: "A connection must send a complete request head within this long, e.g. 10s (config listener.head_timeout).", transform: DurationFlag.parse)
    var headTimeout: Duration?

    @Option(help: "Longest pause inside a request body, e.g. 10s (config listener.body_timeout).", transform: DurationFlag.parse)
    var bodyTimeout: Duration?

    @Option(help: "Close a keep-alive connection idle this long, e.g. 30s (config listener.keepalive_timeout).", transform: DurationFlag.parse)
    var keepaliveTimeout: Duration?

    @Option(help: "Requests of one session waiting for answers at once (default 64, config listener.max_in_flight); more are refused.")
    var maxInFlight: Int?

    @Option(help: "Bytes each session keeps for Last-Event-ID resumption (default 8 MiB, config listener.replay_buffer_bytes); the oldest go first.")
    var replayBufferBytes: Int?

    @Flag(help: "Allow --listen on an address other machines can reach (config listener.expose_to_network); anyone with the key can then use the upstream's credentials.")
    var exposeToNetwork = false

    @Option(help: "MCP 2026-07-28 clients: a comment line on open SSE streams this often (default 15s); it keeps idle subscriptions open and notices a client that left (which cancels its request).",
            transform: DurationFlag.parse)
    var sseKeepalive: Duration = .seconds(15)

    func settings(listen: String, served: ServeSettings, logger: Logger) throws -> HTTPListenerSettings {
        var settings = try HTTPListenerSettings(listen: listen)
        settings.limits = limits(base: served.listener)
        settings.exposeToNetwork = exposeToNetwork || served.exposeToNetwork
        settings.allowedOrigins = allowOrigin
        settings.sseKeepAlive = sseKeepalive
        if !noAuth {
            let path = keyFile ?? "\(served.stateDirectory)/listener.key"
            let (key, created) = try ListenerKey.loadOrCreate(at: path)
            settings.bearerKey = key
            SecretScrubber.shared.register(key)
            logger.notice(created ? "generated a bearer key for the listener" : "clients must send the listener's bearer key",
                          metadata: ["key_file": "\(path)"])
        }
        try settings.checkExposure()
        return settings
    }

    func validate() throws {
        for (value, flag) in [(maxSessions, "--max-sessions"), (maxBodyBytes, "--max-body-bytes"), (maxConnections, "--max-connections"),
                              (maxInFlight, "--max-in-flight")] where (value ?? 1) < 1 {
            throw ValidationError("\(flag): expected a whole number of at least 1")
        }
        if let replayBufferBytes, replayBufferBytes < 0 {
            throw ValidationError("--replay-buffer-bytes: expected a whole number of bytes, 0 or more")
        }
    }

    func limits(base: ListenerLimits) -> ListenerLimits {
        var limits = base
        limits.maxSessions = maxSessions ?? limits.maxSessions
        limits.maxBodyBytes = maxBodyBytes ?? limits.maxBodyBytes
        limits.maxConnections = maxConnections ?? limits.maxConnections
        limits.maxInFlight = maxInFlight ?? limits.maxInFlight
        limits.replayBufferBytes = replayBufferBytes ?? limits.replayBufferBytes
        limits.sessionIdleTimeout = idleTimeout ?? limits.sessionIdleTimeout
        limits.unusedSessionTimeout = unusedSessionTimeout ?? limits.unusedSessionTimeout
        limits.headTimeout = headTimeout ?? limits.headTimeout
        limits.bodyTimeout = bodyTimeout ?? limits.bodyTimeout
        limits.keepAliveTimeout = keepaliveTimeout ?? limits.keepAliveTimeout
        return limits
    }

    /// Serves `upstream` over Streamable HTTP at `listen` until a signal stops it; `probe` starts
    /// the live probe over a session (see `ServedUpstream.listener`).
    func serve(listen: String, upstream: ServedUpstream, logger: Logger,
               probe: @escaping @Sendable (ProxySession) -> Task<Void, Never>?) async throws {
        let settings = try settings(listen: listen, served: upstream.settings, logger: logger)
        let server = upstream.listener(settings, probe: probe)
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
