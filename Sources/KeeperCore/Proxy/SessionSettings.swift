/// How a `ProxySession` behaves: its names, and the bounds on how long and how much it waits.
public struct SessionSettings: Sendable {
    public var sessionID: String
    public var upstreamName: String
    public var shutdownGrace: Duration
    /// Waits between reconnection attempts (full jitter), growing while the upstream keeps dying young.
    public var reconnectBackoff = Backoff(base: .milliseconds(250), cap: .seconds(30))
    /// A link that lived at least this long resets the reconnect backoff.
    public var healthyAfter: Duration = .seconds(10)
    /// On shutdown, how long requests already received may take to be answered.
    public var drainTimeout: Duration = .seconds(10)
    /// How long a `server/discover` probe may go unanswered before the upstream is taken as legacy.
    public var eraProbeTimeout: Duration = .seconds(3)
    /// How long the upstream may take to answer a request; each progress notification for it
    /// starts the wait again, up to `requestTimeoutMax` in all.
    public var requestTimeout: Duration = .seconds(60)
    public var requestTimeoutMax: Duration = .seconds(600)
    /// How long a bridged call that returned input-required waits for the client's retry.
    public var parkedCallTimeout: Duration = .seconds(300)
    /// Failed starts in a row after which requests are answered at once instead of waiting.
    public var circuitThreshold = 3
    /// Client requests waiting for answers at once; more are refused at once, so a client that
    /// floods requests at a stuck upstream cannot make the proxy hold them all.
    public var maxInFlight = 256
    /// Where the session's pumps and requests run, when not on the shared pool (`SessionThread`).
    public var executor: (any TaskExecutor)?

    public init(sessionID: String, upstreamName: String, shutdownGrace: Duration = .seconds(2)) {
        self.sessionID = sessionID
        self.upstreamName = upstreamName
        self.shutdownGrace = shutdownGrace
    }
}
