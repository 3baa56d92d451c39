/// A client request the session has started and not yet answered.
struct InFlightRequest: Sendable {
    let task: Task<Void, Never>
    /// Set once the request has been sent upstream, for forwarding a cancellation.
    var upstreamID: RequestID?
    /// A `subscriptions/listen`: it runs until cancelled, so shutdown ends it instead of waiting.
    var isSubscription = false
    /// Where its answer goes when its transport paired it with one (an HTTP POST); nil: the client channel.
    var reply: AnswerRoute?
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
