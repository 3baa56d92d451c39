/// Why a request was not admitted by the pacer.
public struct PacingQueueFull: Error, Sendable {
    public let limit: Int
}

/// A token bucket with a bounded FIFO queue: requests beyond the burst wait their turn, first come
/// first served across every session sharing the upstream, and a full queue refuses at once.
///
/// The rate adapts (additive increase, multiplicative decrease, as TCP does): a rate limit halves it
/// and empties the bucket, so a burst stops at the first 429 instead of meeting more; each answer
/// that was not a rate limit gives back a twentieth of the configured rate, up to it.
public actor TokenBucket {
    /// The configured rate, the most the pacer ever allows.
    public let configuredRate: Double
    /// The rate now, between `floorRate` and `configuredRate`.
    public private(set) var rate: Double
    public let burst: Int
    public let queueLimit: Int
    private let clock: any StageClock
    private var tokens: Double
    private var updated: ContinuousClock.Instant
    private var waiters: [(id: Int, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextWaiter = 0
    private var draining = false
    private var lastDecrease: ContinuousClock.Instant
    private let onDepth: @Sendable (Int) -> Void

    public init(rate: Double, burst: Int, queueLimit: Int, clock: any StageClock, onDepth: @escaping @Sendable (Int) -> Void = { _ in }) {
        self.configuredRate = rate
        self.rate = rate
        self.lastDecrease = clock.now - .seconds(3600)
        self.burst = burst
        self.queueLimit = queueLimit
        self.clock = clock
        self.tokens = Double(burst)
        self.updated = clock.now
        self.onDepth = onDepth
    }

    public var queueDepth: Int { waiters.count }

    /// The slowest the pacer gets: a tenth of the configured rate.
    public var floorRate: Double { configuredRate / 10 }

    /// The upstream answered with a rate limit: halve the rate (at most once per `decreaseSpacing`,
    /// since the requests of one burst are refused together) and drop the tokens saved up.
    public func rateLimited() {
        refill()
        tokens = min(tokens, 0)
        let now = clock.now
        guard now - lastDecrease >= Self.decreaseSpacing else { return }
        lastDecrease = now
        rate = max(floorRate, rate / 2)
    }

    /// The upstream answered without a rate limit: take back a step toward the configured rate.
    public func answered() {
        guard rate < configuredRate else { return }
        refill()
        rate = min(configuredRate, rate + configuredRate / 20)
    }

    /// Rate limits closer together than this count as one.
    static let decreaseSpacing = Duration.seconds(1)

    /// Returns when the request may go; throws `PacingQueueFull` at once when too many wait (unless
    /// `pastQueueLimit`: the proxy's own requests, a few per session, wait in line regardless), or
    /// `CancellationError` if the waiting request is cancelled.
    public func acquire(pastQueueLimit: Bool = false) async throws {
        refill()
        if waiters.isEmpty, tokens >= 1 {
            tokens -= 1
            return
        }
        guard waiters.count < queueLimit || pastQueueLimit else { throw PacingQueueFull(limit: queueLimit) }
        let id = nextWaiter
        nextWaiter += 1
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiters.append((id, continuation))
                onDepth(waiters.count)
                startDraining()
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    private func cancel(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(throwing: CancellationError())
        onDepth(waiters.count)
    }

    private func refill() {
        let now = clock.now
        let elapsed = now - updated
        updated = now
        tokens = min(Double(burst), tokens + rate * (elapsed.milliseconds / 1000))
    }

    /// Releases waiters in order as tokens accrue; one drainer at a time.
    private func startDraining() {
        guard !draining else { return }
        draining = true
        Task { await drain() }
    }

    private func drain() async {
        while !waiters.isEmpty {
            refill()
            if tokens >= 1 {
                tokens -= 1
                waiters.removeFirst().continuation.resume()
                onDepth(waiters.count)
                continue
            }
            let wait = Duration.milliseconds(Int64(((1 - tokens) / rate * 1000).rounded(.up)))
            try? await clock.sleep(for: wait)
        }
        draining = false
    }
}
