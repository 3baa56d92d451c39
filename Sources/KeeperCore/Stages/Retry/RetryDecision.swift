import Foundation

/// Whether a failed attempt may be tried again, and why (the `reason` label of the retry counter).
public enum RetryDecision: Sendable, Equatable {
    /// Final: success, or a failure that must reach the client as it is.
    case done
    /// Try again after the server's requested wait (if it gave one), else after backoff.
    case retry(reason: String, after: Duration?)
}

/// Classifies replies per DESIGN.md "Retry and pacing": what the upstream certainly did not act on
/// is always retried; what it may have acted on only when repeating it is harmless.
public enum RetryClassifier {
    /// Methods whose repetition changes nothing.
    public static let idempotentMethods: Set<String> = [
        "ping", "tools/list", "resources/list", "resources/templates/list", "resources/read",
        "prompts/list", "prompts/get", "completion/complete", "logging/setLevel", "server/discover",
    ]

    /// Whether sending this exchange twice is harmless: an idempotent method, or a tool that only
    /// reads or says it is idempotent. `configured` (the config's `tools.overrides.NAME.annotations`)
    /// outranks what the server says: a person who marked a tool as writing is never second-guessed.
    public static func isSafeToRepeat(_ exchange: Exchange, configured: JSONObject = JSONObject()) -> Bool {
        if idempotentMethods.contains(exchange.method) { return true }
        guard exchange.method == "tools/call", let name = exchange.tool else { return false }
        let annotations = exchange.context.tools.tool(named: name)?.annotations
        if (configured["idempotentHint"] ?? annotations?["idempotentHint"]) == true { return true }
        return ToolPolicy.tier(of: name, annotations: annotations, configured: configured) == .read
    }

    /// `reply.notion` when a stage classified the reply already, else `classifier` decides.
    public static func decide(_ reply: Reply, for exchange: Exchange, now: Date,
                              classifier: NotionOutcomeClassifier = NotionOutcomeClassifier(),
                              configured: JSONObject = JSONObject()) -> RetryDecision {
        if let error = reply.transportError {
            return decide(error, safeToRepeat: isSafeToRepeat(exchange, configured: configured), now: now)
        }
        // Notion's rate limit in any shape a server reports it: Notion did not act, so even a write may go again.
        if exchange.method == "tools/call", let verdict = reply.notion ?? classifier.classify(reply, method: exchange.method, now: now),
           verdict.outcome == .rateLimited {
            return .retry(reason: notionRateLimited, after: verdict.retryAfter)
        }
        return .done
    }

    /// The reason label of Notion's rate limit found in a tool's answer.
    public static let notionRateLimited = "notion_rate_limited"

    /// Whether a retry `reason` is a rate limit, which waits a Notion-sized minimum when no wait was named.
    public static func isRateLimit(_ reason: String) -> Bool {
        reason == "http_429" || reason == notionRateLimited
    }

    static func decide(_ error: TransportError, safeToRepeat: Bool, now: Date) -> RetryDecision {
        switch error {
        case .httpStatus(429, let retryAfter, _):
            return .retry(reason: "http_429", after: retryAfter.flatMap { RetryAfter.parse($0, now: now) })
        case .httpStatus(503, let retryAfter?, _):
            return .retry(reason: "http_503", after: RetryAfter.parse(retryAfter, now: now))
        case .connectFailed, .closed, .timedOut(phase: "connect"):
            return .retry(reason: "connect", after: nil)
        case .sessionExpired:
            return .retry(reason: "session_expired", after: nil)
        case .httpStatus(let status, _, _) where [502, 503, 504].contains(status):
            return safeToRepeat ? .retry(reason: "http_\(status)", after: nil) : .done
        case .connectionLost, .timedOut:
            return safeToRepeat ? .retry(reason: "connection_lost", after: nil) : .done
        default:
            return .done
        }
    }
}
