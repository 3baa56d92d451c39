/// Reads the `listener` section: the HTTP listener's limits and whether it may be reached from the network.
enum ListenerSettingsReader {
    static let keys = ["max_connections", "head_timeout", "body_timeout", "keepalive_timeout", "max_sessions",
                       "session_idle_timeout", "unused_session_timeout", "max_body_bytes", "max_in_flight",
                       "replay_buffer_bytes", "expose_to_network"]

    static func read(_ root: ConfigReader, into config: inout KeeperConfig, problems: inout [ConfigProblem]) {
        guard let s = root.section("listener", problems: &problems) else { return }
        s.rejectUnknownKeys(allowed: keys, problems: &problems)
        var limits = config.listener
        limits.maxConnections = s.int("max_connections", min: 1, problems: &problems) ?? limits.maxConnections
        limits.headTimeout = s.duration("head_timeout", problems: &problems) ?? limits.headTimeout
        limits.bodyTimeout = s.duration("body_timeout", problems: &problems) ?? limits.bodyTimeout
        limits.keepAliveTimeout = s.duration("keepalive_timeout", problems: &problems) ?? limits.keepAliveTimeout
        limits.maxSessions = s.int("max_sessions", min: 1, problems: &problems) ?? limits.maxSessions
        limits.sessionIdleTimeout = s.duration("session_idle_timeout", problems: &problems) ?? limits.sessionIdleTimeout
        limits.unusedSessionTimeout = s.duration("unused_session_timeout", problems: &problems) ?? limits.unusedSessionTimeout
        limits.maxBodyBytes = s.int("max_body_bytes", min: 1024, problems: &problems) ?? limits.maxBodyBytes
        limits.maxInFlight = s.int("max_in_flight", min: 1, problems: &problems) ?? limits.maxInFlight
        limits.replayBufferBytes = s.int("replay_buffer_bytes", min: 0, problems: &problems) ?? limits.replayBufferBytes
        config.listener = limits
        config.exposeToNetwork = s.bool("expose_to_network", problems: &problems) ?? config.exposeToNetwork
    }
}
