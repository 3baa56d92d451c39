import Synchronization

/// Caps retries at a share of recent requests (default 20% over 10 s), so an outage does not
/// multiply the load on a struggling upstream. Shared by every session of one upstream.
public final class RetryBudget: Sendable {
    public let ratio: Double
    public let window: Duration
    /// Retries always allowed in a window however few requests it had, so a quiet client can still retry.
    public let minimumRetries: Int
    private let clock: any StageClock
    private let state = Mutex(State())

    private struct State {
        var requests = TimeWindow()
        var retries = TimeWindow()
    }

    /// Instants in the order they were recorded; pruning only advances the start, so a request costs
    /// O(1) however many the window holds (thousands at full speed).
    private struct TimeWindow {
        private var instants: [ContinuousClock.Instant] = []
        private var start = 0

        var count: Int { instants.count - start }

        mutating func append(_ instant: ContinuousClock.Instant) { instants.append(instant) }

        mutating func drop(before horizon: ContinuousClock.Instant) {
            while start < instants.count, instants[start] < horizon { start += 1 }
            if start > 1024, start * 2 > instants.count {
                instants.removeFirst(start)
                start = 0
            }
        }
    }

    public init(ratio: Double, window: Duration = .seconds(10), minimumRetries: Int = 3, clock: any StageClock) {
        self.ratio = ratio
        self.window = window
        self.minimumRetries = minimumRetries
        self.clock = clock
    }

    public func recordRequest() {
        let now = clock.now
        state.withLock { s in
            prune(&s, now: now)
            s.requests.append(now)
        }
    }

    /// Takes one retry from the budget; false when the budget is spent.
    public func tryRetry() -> Bool {
        let now = clock.now
        return state.withLock { s in
            prune(&s, now: now)
            let allowed = max(minimumRetries, Int(Double(s.requests.count) * ratio))
            guard s.retries.count < allowed else { return false }
            s.retries.append(now)
            return true
        }
    }

    private func prune(_ s: inout State, now: ContinuousClock.Instant) {
        let horizon = now - window
        s.requests.drop(before: horizon)
        s.retries.drop(before: horizon)
    }
}
