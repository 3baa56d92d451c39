/// The listener's live sessions, bounded in number and expired when idle.
actor HTTPSessionTable {
    private var sessions: [String: HTTPSessionChannel] = [:]
    let limit: Int
    let idleTimeout: Duration

    init(limit: Int, idleTimeout: Duration) {
        self.limit = limit
        self.idleTimeout = idleTimeout
    }

    var count: Int { sessions.count }

    /// A new session with a fresh unguessable id, or nil when the limit is reached.
    func create() -> HTTPSessionChannel? {
        guard sessions.count < limit else { return nil }
        let channel = HTTPSessionChannel(sessionID: Self.newID())
        sessions[channel.sessionID] = channel
        return channel
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

    /// Closes sessions idle longer than the timeout; returns how many.
    func expireIdle(now: ContinuousClock.Instant = .now) -> Int {
        let stale = sessions.values.filter { $0.isClosed || now - $0.lastActivity > idleTimeout }
        for channel in stale {
            sessions[channel.sessionID] = nil
            channel.close()
        }
        return stale.count
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
