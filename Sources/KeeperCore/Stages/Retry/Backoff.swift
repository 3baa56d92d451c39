/// Full-jitter exponential backoff (AWS architecture blog, "Exponential Backoff And Jitter"):
/// a uniform wait in `[0, min(cap, base · 2^attempt))`, so many clients retrying at once spread out.
public struct Backoff: Sendable {
    public let base: Duration
    public let cap: Duration

    public init(base: Duration, cap: Duration) {
        self.base = base
        self.cap = cap
    }

    /// The ceiling for retry number `attempt` (0 for the first retry).
    public func ceiling(attempt: Int) -> Duration {
        let factor = 1 << min(max(attempt, 0), 30)
        let grown = base * factor
        return grown > cap || grown < .zero ? cap : grown
    }

    public func delay(attempt: Int, random: any RandomSource) -> Duration {
        ceiling(attempt: attempt) * random.unit()
    }
}
