/// The listener's live sessions, bounded in number. A session ends when idle too long, sooner when
/// it was never used after its handshake; when the table is full, the least recently used session
/// with no request in flight makes room for a newcomer.
actor HTTPSessionTable {
    private var sessions: [String: HTTPSessionChannel] = [:]
    private(set) var limit: Int
    private(set) var idleTimeout: Duration
    private(set) var unusedTimeout: Duration
    private(set) var replayBufferBytes: Int

    init(limit: Int, idleTimeout: Duration, unusedTimeout: Duration, replayBufferBytes: Int = 8 << 20) {
        self.limit = limit
        self.replayBufferBytes = replayBufferBytes
        self.idleTimeout = idleTimeout
        self.unusedTimeout = unusedTimeout
    }

    var count: Int { sessions.count }

    /// New limits from a reload: the session cap and expiry apply at once, the replay budget to new sessions.
    func update(_ limits: ListenerLimits) {
        limit = limits.maxSessions
        idleTimeout = limits.sessionIdleTimeout
        unusedTimeout = limits.unusedSessionTimeout
        replayBufferBytes = limits.replayBufferBytes
    }

    enum Creation {
        case created(HTTPSessionChannel, evicted: HTTPSessionChannel?)
        /// Every session has a request in flight; the earliest one could end by expiry is `retryAfter` away.
        case full(retryAfter: Duration)
    }

    /// A new session with a fresh unguessable id, evicting the least recently used idle one when full.
    func create(now: ContinuousClock.Instant = .now) -> Creation {
        var evicted: HTTPSessionChannel?
        if sessions.count >= limit {
            let candidates = sessions.values.map { ($0, $0.usage) }.filter { $0.1.requestsInFlight == 0 }
            // Sessions holding a listening stream go last: their client is waiting on them.
            guard let victim = candidates.min(by: { ($0.1.listening ? 1 : 0, $0.1.lastActivity) < ($1.1.listening ? 1 : 0, $1.1.lastActivity) }) else {
                let soonest = sessions.values.map { expiry(of: $0) }.min() ?? now
                return .full(retryAfter: max(.seconds(1), soonest - now))
            }
            sessions[victim.0.sessionID] = nil
            victim.0.close()
            evicted = victim.0
        }
        let channel = HTTPSessionChannel(sessionID: Self.newID(), now: now, replayBufferBytes: replayBufferBytes)
        sessions[channel.sessionID] = channel
        return .created(channel, evicted: evicted)
    }

    func session(_ id: String) -> HTTPSessionChannel? {
        guard let channel = sessions[id] else { return nil }
        if channel.isClosed {
            sessions[id] = nil
            return nil
        }
        return channel
    }

    func remove(_ id: String) -> HTTPSessionChannel? { sessions.removeValue(forKey: id) }

    /// Closes sessions past their expiry; returns how many.
    func expireIdle(now: ContinuousClock.Instant = .now) -> Int {
        let stale = sessions.values.filter { $0.isClosed || ($0.usage.requestsInFlight == 0 && expiry(of: $0) <= now) }
        for channel in stale {
            sessions[channel.sessionID] = nil
            channel.close()
        }
        return stale.count
    }

    private func expiry(of channel: HTTPSessionChannel) -> ContinuousClock.Instant {
        let usage = channel.usage
        return usage.lastActivity + (usage.used ? idleTimeout : unusedTimeout)
    }

    func closeAll() {
        for channel in sessions.values { channel.close() }
        sessions.removeAll()
    }

    /// 128 bits from the system's cryptographic random source, as 32 hex digits.
    static func newID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}
