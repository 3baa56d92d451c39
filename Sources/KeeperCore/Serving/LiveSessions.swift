import Synchronization

/// The client sessions open right now, so a reload can tell each one its tool list changed.
final class LiveSessions: Sendable {
    private let sessions = Mutex<[ObjectIdentifier: ProxySession]>([:])

    func add(_ session: ProxySession) { sessions.withLock { $0[ObjectIdentifier(session)] = session } }
    func remove(_ session: ProxySession) { _ = sessions.withLock { $0.removeValue(forKey: ObjectIdentifier(session)) } }
    var all: [ProxySession] { sessions.withLock { Array($0.values) } }
}
