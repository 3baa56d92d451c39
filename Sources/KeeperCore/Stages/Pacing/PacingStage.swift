import Tracing

/// Paces requests to the upstream under its rate limit (Notion documents an average of 3 requests/s):
/// each attempt takes a token from the upstream's bucket, waiting in line when none is left. Each
/// answer tells the bucket whether it was a rate limit (in any shape the classifier knows), so the
/// pace slows after a 429 and recovers gradually.
public struct PacingStage: Stage {
    let bucket: TokenBucket
    let classifier: NotionOutcomeClassifier
    let clock: any StageClock

    public init(bucket: TokenBucket, classifier: NotionOutcomeClassifier = NotionOutcomeClassifier(), clock: any StageClock = SystemStageClock()) {
        self.bucket = bucket
        self.classifier = classifier
        self.clock = clock
    }

    public var facesUpstream: Bool { true }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        try await pace(exchange, own: false, next: next)
    }

    /// The proxy's own requests are paced too, but never refused for a full queue: a refused replayed
    /// `initialize` would count as a failed start of a healthy upstream, and open its circuit.
    public func handleOwn(_ exchange: Exchange, next: Next) async throws -> Reply {
        try await pace(exchange, own: true, next: next)
    }

    private func pace(_ exchange: Exchange, own: Bool, next: Next) async throws -> Reply {
        do {
            try await withSpan("pacing wait") { _ in try await bucket.acquire(pastQueueLimit: own) }
        } catch let full as PacingQueueFull {
            return .refused(JSONRPCError(
                code: JSONRPCError.upstreamUnavailableCode,
                message: "Too many requests are waiting for upstream '\(exchange.upstream)' (\(full.limit) queued under its rate limit of \(Self.rate(bucket.configuredRate))/s); the request was not sent, retry shortly or raise pacing.queue.",
                data: ["upstream": .string(exchange.upstream), "outcome": "not_sent", "queue_limit": .number(JSONNumber(full.limit))]))
        }
        var reply = try await next(exchange)
        // Classified here, the innermost stage that asks, and kept on the reply for the retry and hint stages.
        if reply.notion == nil { reply.notion = classifier.classify(reply, method: exchange.method, now: clock.date) }
        if reply.notion?.outcome == .rateLimited {
            await bucket.rateLimited()
        } else if case .upstream = reply.outcome {
            await bucket.answered()
        }
        return reply
    }

    static func rate(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
