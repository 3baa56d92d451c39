/// Paces requests to the upstream under its rate limit (Notion documents an average of 3 requests/s):
/// each attempt takes a token from the upstream's bucket, waiting in line when none is left.
public struct PacingStage: Stage {
    let bucket: TokenBucket

    public init(bucket: TokenBucket) { self.bucket = bucket }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        do {
            try await bucket.acquire()
        } catch let full as PacingQueueFull {
            return .refused(JSONRPCError(
                code: JSONRPCError.upstreamUnavailableCode,
                message: "Too many requests are waiting for upstream '\(exchange.upstream)' (\(full.limit) queued under its rate limit of \(Self.rate(bucket.rate))/s); the request was not sent, retry shortly or raise pacing.queue.",
                data: ["upstream": .string(exchange.upstream), "outcome": "not_sent", "queue_limit": .number(JSONNumber(full.limit))]))
        }
        return try await next(exchange)
    }

    static func rate(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
