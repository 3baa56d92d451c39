/// A request sent (or being sent) upstream, waiting for its reply.
struct PendingUpstream: Sendable {
    enum State: Sendable {
        case sending
        case waiting(CheckedContinuation<Reply, any Error>)
        /// The reply (the upstream's response, or the proxy's failure) came before the sender waited.
        case settled(Reply)
    }

    let exchange: Exchange
    /// The link it was sent on.
    let generation: Int
    var state: State
    let sentAt: ContinuousClock.Instant
    /// When it times out; moved on by the upstream's progress notifications, up to the maximum.
    var deadline: ContinuousClock.Instant

    var isSettled: Bool {
        if case .settled = state { return true }
        return false
    }
}

/// The requests a session sent upstream and has not answered, by the id the proxy gave each: the
/// hand-over of a reply to its sender (the reply may come before the sender waits for it), and
/// each request's deadline.
struct UpstreamRequests: Sendable {
    private var map = IDMap<PendingUpstream>()

    mutating func allocate(_ exchange: Exchange, generation: Int, now: ContinuousClock.Instant, timeout: Duration) -> RequestID {
        map.allocate(PendingUpstream(exchange: exchange, generation: generation, state: .sending, sentAt: now, deadline: now + timeout))
    }

    func peek(_ id: RequestID) -> PendingUpstream? { map.peek(id) }

    func wasIssued(_ id: RequestID) -> Bool { map.wasIssued(id) }

    /// Forgets a request that never reached the upstream.
    mutating func remove(_ id: RequestID) { _ = map.take(id) }

    /// Hands the reply to `continuation` now if it is in, or when it comes.
    mutating func wait(_ id: RequestID, _ continuation: CheckedContinuation<Reply, any Error>) {
        guard var pending = map.peek(id) else { return continuation.resume(throwing: CancellationError()) }
        switch pending.state {
        case .settled(let reply):
            _ = map.take(id)
            continuation.resume(returning: reply)
        case .sending, .waiting:
            pending.state = .waiting(continuation)
            map.update(id, pending)
        }
    }

    /// The sender stopped waiting (its task was cancelled): a later answer is dropped.
    mutating func abandon(_ id: RequestID) {
        if case .waiting(let continuation) = map.take(id)?.state { continuation.resume(throwing: CancellationError()) }
    }

    /// Hands a reply to the request's waiter, or keeps it until the sender waits; false when the
    /// request already had one (the upstream answered twice).
    mutating func settle(_ id: RequestID, _ reply: Reply) -> Bool {
        guard var pending = map.peek(id) else { return true }
        switch pending.state {
        case .waiting(let continuation):
            _ = map.take(id)
            continuation.resume(returning: reply)
        case .sending:
            pending.state = .settled(reply)
            map.update(id, pending)
        case .settled:
            return false
        }
        return true
    }

    /// Requests still waiting for a reply, with `subscriptions/listen` (which runs until cancelled)
    /// only when asked for.
    func unsettled(onGeneration generation: Int? = nil, subscriptions: Bool) -> [(id: RequestID, entry: PendingUpstream)] {
        map.all.filter { request in
            !request.entry.isSettled && (generation == nil || request.entry.generation == generation)
                && (subscriptions || request.entry.exchange.method != "subscriptions/listen")
        }
    }

    /// The upstream showed progress on the requests carrying `token`: their waits start again.
    mutating func progressed(_ token: JSONValue, now: ContinuousClock.Instant, timeout: Duration, max: Duration) {
        for (id, var pending) in map.all where pending.exchange.message.params?["_meta"]?["progressToken"] == token {
            pending.deadline = min(now + timeout, pending.sentAt + max)
            map.update(id, pending)
        }
    }

    /// The upstream id of the request sent on behalf of the client's (or the proxy's own) request `clientID`.
    func upstreamID(serving clientID: RequestID) -> RequestID? {
        map.all.first { $0.entry.exchange.clientID == clientID }?.id
    }
}
