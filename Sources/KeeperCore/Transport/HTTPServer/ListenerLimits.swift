/// What one client of the HTTP listener can make mcpkeeper spend, and for how long: the defaults
/// suit one person's MCP clients on one machine, with room for an attacker on it to fail.
public struct ListenerLimits: Sendable, Equatable {
    /// Open connections at once; when full, the one that has waited longest for a request makes room,
    /// and a newcomer is refused (503) only when every connection is serving a request.
    public var maxConnections = 256
    /// From accepting a connection to a complete request head (after a response, `keepAliveTimeout` applies).
    public var headTimeout: Duration = .seconds(10)
    /// Longest silence between two pieces of a request body.
    public var bodyTimeout: Duration = .seconds(10)
    /// A keep-alive connection with no request in flight is closed after this long.
    public var keepAliveTimeout: Duration = .seconds(30)
    public var maxSessions = 16
    /// A session with no traffic for this long ends.
    public var sessionIdleTimeout: Duration = .seconds(1800)
    /// A session whose handshake never completed, or that was never used after it, ends sooner.
    public var unusedSessionTimeout: Duration = .seconds(60)
    public var maxBodyBytes = 4 << 20
    /// Requests of one session (or of all stateless clients together) waiting for their answers.
    public var maxInFlight = 64
    /// Answers and notifications kept per session for `Last-Event-ID` resumption, in bytes.
    public var replayBufferBytes = 8 << 20

    public init() {}
}
