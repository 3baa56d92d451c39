import Synchronization

extension ServedUpstream {
    /// `serve --listen`: a Streamable HTTP server whose every client session is a `ProxySession`
    /// with its own upstream link, started from the settings as last reloaded; a reload changes the
    /// server's limits in place. It serves clients of both protocol eras, whatever the upstream
    /// speaks (the session bridges). `probe` starts the live probe over a session and is cancelled
    /// when that session ends; one session at a time carries it (the next one takes over).
    public func listener(_ listening: HTTPListenerSettings,
                         probe: @escaping @Sendable (ProxySession) -> Task<Void, Never>?) -> StreamableHTTPServer {
        var settings = listening
        settings.servedEras = .dual
        settings.supportedVersions = MCPProtocolVersion.allCases.reversed().map(\.rawValue)
        let prober = Mutex<(owner: String?, task: Task<Void, Never>?)>((nil, nil))
        let (metrics, logger) = (self.metrics, self.logger)
        let executor = EventLoopExecutor()
        let server = StreamableHTTPServer(settings: settings, logger: logger, undeliverable: { metrics.undeliverable(method: $0) },
                                          executor: executor) { [self] channel in
            do {
                let id = (channel as? HTTPSessionChannel)?.sessionID ?? "stateless"
                var started: ProxySession?
                defer { if let started { sessions.remove(started) } }
                _ = try await runSession(downstream: channel, fromListener: true, on: executor) { session in
                    sessions.add(session)
                    started = session
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
        attachedListener.withLock { $0 = server }
        return server
    }
}
