import Synchronization

/// The listener's open connections, bounded in number. When it is full, the connection that has
/// waited longest for a request head (a fresh one, or an idle keep-alive one) is closed to make
/// room: such a connection has cost its owner nothing to open, while one serving a request (an
/// open SSE stream included) is never taken away. A newcomer is refused only when all are busy.
final class ConnectionRegistry: Sendable {
    /// Closes a connection from its own handler's place in the pipeline (a close sent to the channel
    /// itself would go through the HTTP server's handlers, which keep a keep-alive connection open).
    typealias Closer = @Sendable () -> Void

    private struct Entry {
        let close: Closer
        /// Since when it has waited for a request head; nil while it serves a request.
        var waitingSince: ContinuousClock.Instant?
    }

    private struct State {
        var entries: [Int: Entry] = [:]
        var nextID = 1
        var refusing = 0
        var limit = 1
    }

    /// Refused connections kept open just long enough to be answered 503; beyond this many they are
    /// closed unanswered, so a flood of refusals cannot use up descriptors either.
    let refusalLimit: Int
    private let state = Mutex(State())

    init(limit: Int, refusalLimit: Int = 32) {
        self.refusalLimit = refusalLimit
        state.withLock { $0.limit = max(1, limit) }
    }

    /// The connection limit; a reload may change it (connections over a lowered one are not cut).
    var limit: Int {
        get { state.withLock { $0.limit } }
        set { state.withLock { $0.limit = max(1, newValue) } }
    }

    var count: Int { state.withLock { $0.entries.count } }

    enum Admission {
        case admitted(Int)
        /// Over the limit: answer 503 when the request head arrives, then close.
        case refused
        /// Over the limit and too many refusals pending: close at once.
        case dropped
    }

    func admit(closing close: @escaping Closer, now: ContinuousClock.Instant = .now) -> Admission {
        let (admission, evicted) = state.withLock { s -> (Admission, Closer?) in
            var evicted: Closer?
            if s.entries.count >= s.limit {
                let oldest = s.entries.filter { $0.value.waitingSince != nil }
                    .min { $0.value.waitingSince! < $1.value.waitingSince! }
                guard let oldest else {
                    guard s.refusing < refusalLimit else { return (.dropped, nil) }
                    s.refusing += 1
                    return (.refused, nil)
                }
                s.entries[oldest.key] = nil
                evicted = oldest.value.close
            }
            let id = s.nextID
            s.nextID += 1
            s.entries[id] = Entry(close: close, waitingSince: now)
            return (.admitted(id), evicted)
        }
        evicted?()
        return admission
    }

    func serving(_ id: Int) {
        state.withLock { $0.entries[id]?.waitingSince = nil }
    }

    func waiting(_ id: Int, now: ContinuousClock.Instant = .now) {
        state.withLock { $0.entries[id]?.waitingSince = now }
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.entries.removeValue(forKey: id) }
    }

    func refusalEnded() {
        state.withLock { $0.refusing -= 1 }
    }
}
