/// A client request the session has started and not yet answered.
struct InFlightRequest: Sendable {
    let task: Task<Void, Never>
    /// Set once the request has been sent upstream, for forwarding a cancellation.
    var upstreamID: RequestID?
    /// A `subscriptions/listen`: it runs until cancelled, so shutdown ends it instead of waiting.
    var isSubscription = false
}

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
}

/// A server-initiated request forwarded to the client, waiting for the client's answer.
struct PendingClientAnswer: Sendable {
    let upstreamID: RequestID
    let method: String
    /// The link whose server asked; a replacement link cannot take the answer.
    let generation: Int
    let sentAt: ContinuousClock.Instant
    /// Set when the proxy itself asked (bridging a modern upstream's input request): the answer goes here.
    var bridge: CheckedContinuation<JSONRPCMessage, Never>?
}
