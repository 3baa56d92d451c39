import Logging
import Tracing

/// Retries what the upstream refused or never saw (429, 503 with Retry-After, connect failures, an
/// expired session, Notion's in-result rate limit) and, for requests that are safe to repeat, what it
/// may have seen (502, 504, a connection lost after sending). Waits honour `Retry-After` wherever
/// the answer names one, else a Notion-sized wait after a rate limit (`RateLimitWait`) and
/// full-jitter backoff after anything else; attempts, a per-request deadline and a shared budget
/// bound the whole. Each attempt's answer is classified once (`NotionOutcomeClassifier`).
public struct RetryStage: Stage {
    /// What the client gets when Notion's in-result rate limit outlasts the retries: mcpkeeper's
    /// -32000 error, or Notion's own last result (for `NotionHintStage` to mark as an error with a hint).
    public enum FinalNotionRateLimit: Sendable {
        case proxyError
        case upstreamResult
    }

    public let settings: RetrySettings
    let finalNotionRateLimit: FinalNotionRateLimit
    let classifier: NotionOutcomeClassifier
    let budget: RetryBudget
    let clock: any StageClock
    let random: any RandomSource
    let metrics: KeeperMetrics
    let logger: Logger
    /// The config's per-tool overrides, whose annotations say which tools are safe to send twice.
    let tools: ToolSettings

    public init(settings: RetrySettings, budget: RetryBudget, clock: any StageClock, random: any RandomSource,
                metrics: KeeperMetrics, logger: Logger, finalNotionRateLimit: FinalNotionRateLimit = .proxyError,
                classifier: NotionOutcomeClassifier = NotionOutcomeClassifier(), tools: ToolSettings = ToolSettings()) {
        self.settings = settings
        self.tools = tools
        self.finalNotionRateLimit = finalNotionRateLimit
        self.classifier = classifier
        self.budget = budget
        self.clock = clock
        self.random = random
        self.metrics = metrics
        self.logger = logger
    }

    public var facesUpstream: Bool { true }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        budget.recordRequest()
        let backoff = Backoff(base: settings.baseDelay, cap: settings.maxDelay)
        let rateLimitWait = RateLimitWait(minimum: settings.rateLimitWait, cap: settings.maxDelay)
        let start = clock.now
        var waited = Duration.zero
        let configured = tools.annotations(of: exchange.tool)
        var attempt = 1
        while true {
            // Each attempt is a span with what followed it: the answer, or the reason and wait of a retry.
            let step: AttemptStep = try await withSpan("retry attempt") { span in
                span.attributes[MCPSpanAttribute.attempt] = attempt
                var reply = try await next(exchange)
                if reply.notion == nil { reply.notion = classifier.classify(reply, method: exchange.method, now: clock.date) }
                if let verdict = reply.notion, verdict.outcome != .success {
                    metrics.notionOutcome(upstream: exchange.upstream, verdict)
                }
                guard case .retry(let reason, let requested) = RetryClassifier.decide(reply, for: exchange, now: clock.date, configured: configured) else {
                    return .answer(annotated(reply, attempts: attempt, waited: waited))
                }
                let rateLimited = RetryClassifier.isRateLimit(reason)
                let delay = requested ?? (rateLimited ? rateLimitWait.delay(attempt: attempt - 1, random: random)
                                                      : backoff.delay(attempt: attempt - 1, random: random))
                let refusal: String?
                if let requested, requested > settings.deadline {
                    refusal = "the upstream asks to wait \(Self.seconds(requested)) s, longer than the \(Self.seconds(settings.deadline)) s retry.deadline"
                } else if attempt >= settings.maxAttempts {
                    refusal = "it failed \(attempt) times (retry.max_attempts)"
                } else if clock.now - start + delay > settings.deadline {
                    refusal = "another wait would pass the \(Self.seconds(settings.deadline)) s deadline (retry.deadline)"
                } else if !budget.tryRetry() {
                    refusal = "the retry budget is spent (more than \(Int(budget.ratio * 100))% of recent requests were retries)"
                } else {
                    refusal = nil
                }
                if let refusal {
                    if finalNotionRateLimit == .upstreamResult, reason == "notion_rate_limited" {
                        logger.notice("stopped retrying Notion's rate limit", metadata: ["upstream": "\(exchange.upstream)", "tool": "\(exchange.tool ?? "")",
                                                                                    "reason": "\(refusal)", "attempts": "\(attempt)"])
                        return .answer(annotated(reply, attempts: attempt, waited: waited))
                    }
                    reply = gaveUp(reply, exchange: exchange, reason: refusal, wait: requested, attempts: attempt)
                    return .answer(annotated(reply, attempts: attempt, waited: waited))
                }
                metrics.retry(upstream: exchange.upstream, reason: reason)
                metrics.retryWait(upstream: exchange.upstream, reason: reason, delay)
                if rateLimited { metrics.rateLimited(upstream: exchange.upstream) }
                let source = requested != nil ? "named" : rateLimited ? "rate_limit_wait" : "backoff"
                logger.info("retrying", metadata: ["upstream": "\(exchange.upstream)", "method": "\(exchange.method)",
                                                   "reason": "\(reason)", "rule": "\(reply.notion?.rule ?? NotionVerdict.Rule.none)",
                                                   "attempt": "\(attempt)", "wait_ms": "\(Int64(delay.milliseconds))", "wait_from": "\(source)"])
                span.attributes[MCPSpanAttribute.retryReason] = reason
                span.attributes[MCPSpanAttribute.retryWaitMilliseconds] = Int64(delay.milliseconds)
                return .wait(delay, reason: reason)
            }
            let (delay, reason): (Duration, String)
            switch step {
            case .answer(let reply): return reply
            case .wait(let wait, let why): (delay, reason) = (wait, why)
            }
            try await withSpan("retry wait") { span in
                span.attributes[MCPSpanAttribute.retryReason] = reason
                span.attributes[MCPSpanAttribute.retryWaitMilliseconds] = Int64(delay.milliseconds)
                try await clock.sleep(for: delay)
            }
            waited += delay
            attempt += 1
        }
    }

    /// What an attempt ends in: the reply for the client, or a wait before the next attempt.
    private enum AttemptStep {
        case answer(Reply)
        case wait(Duration, reason: String)
    }

    private func annotated(_ reply: Reply, attempts: Int, waited: Duration) -> Reply {
        var reply = reply
        reply.attempts = attempts
        reply.retryWait = waited
        return reply
    }

    /// The final failure: the upstream's own error where it sent one, else a JSON-RPC error with
    /// `data: {upstream_status, retry_after_s, attempts}`, saying whether a later retry is safe.
    private func gaveUp(_ reply: Reply, exchange: Exchange, reason: String, wait: Duration?, attempts: Int) -> Reply {
        var data: JSONObject = ["upstream": .string(exchange.upstream), "method": .string(exchange.method),
                                "attempts": .number(JSONNumber(attempts))]
        data["tool"] = exchange.tool.map(JSONValue.string)
        data["upstream_status"] = reply.httpStatus.map { .number(JSONNumber($0)) } ?? (reply.transportError == nil ? 429 : nil)
        data["retry_after_s"] = wait.map { .number(JSONNumber($0.milliseconds / 1000)) }
        let processed = reply.transportError.map { !$0.messageWasNotProcessed } ?? false
        data["outcome"] = processed ? "unknown" : "not_sent"
        let what = reply.transportError?.description ?? "Notion answered rate_limited"
        let advice = processed ? "it may or may not have been applied; check before retrying" : "it was not processed, so retrying later is safe"
        var result = reply
        result.outcome = .proxy(JSONRPCError(
            code: processed ? JSONRPCError.outcomeUnknownCode : JSONRPCError.upstreamUnavailableCode,
            message: "Upstream '\(exchange.upstream)' did not complete \(exchange.tool.map { "tool \"\($0)\"" } ?? exchange.method) (\(what)); mcpkeeper stopped retrying because \(reason); \(advice).",
            data: .object(data)), outcome: "failed")
        return result
    }

    static func seconds(_ d: Duration) -> String {
        let s = d.milliseconds / 1000
        return s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
    }
}
