/// The wait after a rate limit that named none. Notion allows about 3 requests per second on
/// average, so the generic backoff (0–250 ms at first) walks straight into the next 429: this waits
/// at least `minimum` (default 1 s, `retry.rate_limit_wait`), doubling with each attempt up to `cap`,
/// plus up to half again as jitter so requests limited together do not return together.
public struct RateLimitWait: Sendable {
    public let minimum: Duration
    public let cap: Duration

    public init(minimum: Duration, cap: Duration) {
        self.minimum = minimum
        self.cap = max(cap, minimum)
    }

    /// The wait before retry number `attempt` (0 for the first retry).
    public func delay(attempt: Int, random: any RandomSource) -> Duration {
        let grown = Backoff(base: minimum, cap: cap).ceiling(attempt: attempt)
        return grown + grown * (0.5 * random.unit())
    }
}
