import Logging
import Synchronization

/// One upstream as `serve` runs it: its settings as last (re)loaded, the standard pipeline every
/// client session shares (a config reload swaps its stages), the request log, the metrics, and the
/// client sessions open now.
public final class ServedUpstream: Sendable {
    /// Opens a link to an upstream: a child process or an HTTP client (tests: an in-memory link).
    /// The executor is the session's (a stdio session's thread, the listener's loops), which reads a child's stdout.
    typealias Connect = @Sendable (UpstreamTarget, _ name: String, Logger, (any PipeReadingExecutor)?) throws(SpawnError) -> any UpstreamLink

    /// How the last config reload went, for `/metrics` and the status page.
    public let reloadStatus = ConfigReloadStatus()
    /// The whole pipeline as one stage, so that a reload changes it for the next request of every session.
    let stages: SwappableStages
    let sessions = LiveSessions()
    let state: Mutex<(settings: ServeSettings, log: RequestLog?)>
    /// The request log opened at start, which sessions write their own events to.
    let sessionLog: RequestLog?
    /// The settings from the flags and the config file as it is now, at each reload.
    let resolve: @Sendable () throws -> ServeSettings
    /// The HTTP listener of `serve --listen`, whose limits a reload changes in place.
    let attachedListener = Mutex<StreamableHTTPServer?>(nil)
    let metrics: KeeperMetrics
    let logger: Logger
    let connect: Connect

    /// Opens the request log `settings` ask for and builds the standard pipeline from them;
    /// `resolve` gives the settings again when the config is reloaded.
    public convenience init(settings: ServeSettings, metrics: KeeperMetrics, logger: Logger,
                            resolve: @escaping @Sendable () throws -> ServeSettings) throws {
        try self.init(settings: settings, metrics: metrics, logger: logger, resolve: resolve) { target, name, logger, executor throws(SpawnError) in
            try target.connect(name: name, logger: logger, readingOn: executor)
        }
    }

    init(settings: ServeSettings, metrics: KeeperMetrics, logger: Logger, resolve: @escaping @Sendable () throws -> ServeSettings,
         connect: @escaping Connect) throws {
        let log = try settings.openLog()
        sessionLog = log
        state = Mutex((settings, log))
        stages = SwappableStages(.standard(settings, log: log, metrics: metrics, logger: logger))
        self.resolve = resolve
        self.metrics = metrics
        self.logger = logger
        self.connect = connect
    }

    /// The settings new sessions start with.
    public var settings: ServeSettings { state.withLock { $0.settings } }

    /// Writes out what the request logs hold, at exit.
    public func flushLogs() {
        sessionLog?.flush()
        state.withLock { $0.log }?.flush()
    }
}
