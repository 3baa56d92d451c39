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
    /// reads or says it is idempotent.
    public static func isSafeToRepeat(_ exchange: Exchange) -> Bool {
        if idempotentMethods.contains(exchange.method) { return true }
        guard exchange.method == "tools/call", let name = exchange.tool else { return false }
        let annotations = exchange.context.tools.tool(named: name)?.annotations
        if annotations?["idempotentHint"] == true { return true }
        return ToolPolicy.tier(of: name, annotations: annotations) == .read
    }

    public static func decide(_ reply: Reply, for exchange: Exchange, now: Date) -> RetryDecision {
        if let error = reply.transportError {
            return decide(error, safeToRepeat: isSafeToRepeat(exchange), now: now)
        }
        if exchange.method == "tools/call", case .upstream(let response) = reply.outcome,
           let limited = NotionRateLimit.detect(in: response.result) {
            return .retry(reason: "notion_rate_limited", after: limited)
        }
        return .done
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

/// Notion's rate limit as the official stdio server reports it: a *normal* tool result whose text is
/// Notion's error JSON with `"status": 429` / `"code": "rate_limited"` (Notion did not act on it).
public enum NotionRateLimit {
    /// Nil when the result is not a rate-limit error; otherwise the wait it names (`retry_after`
    /// seconds), or `.some(nil)` when it names none (then backoff applies).
    public static func detect(in result: JSONValue?) -> Duration?? {
        guard let error = NotionAPIError.detect(in: result), error.code == "rate_limited" || error.status == 429 else { return nil }
        if let seconds = error.retryAfterSeconds, seconds >= 0 {
            // Clamped: a wait this long still fails fast against the deadline, without overflowing.
            return .some(.milliseconds(Int64(min(seconds, 1e9) * 1000)))
        }
        return .some(nil)
    }
}
