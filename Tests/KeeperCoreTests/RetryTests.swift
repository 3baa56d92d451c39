@testable import KeeperCore
import Foundation
import Logging
import Synchronization
import Testing

// MARK: - Fixtures

private let quietLogger = Logger(label: "retry-tests", factory: { _ in SwiftLogNoOpLogHandler() })

private let notionRateLimited =
    #"{"object":"error","status":429,"code":"rate_limited","message":"You have been rate limited. Please try again in a few minutes."}"#
private let notionRateLimitedWithWait =
    #"{"object":"error","status":429,"code":"rate_limited","message":"Rate limited.","retry_after":2}"#
private let notionValidationError =
    #"{"object":"error","status":400,"code":"validation_error","message":"body.parent should be defined."}"#

/// A tool result whose single text content is `text`, as the official Notion stdio server answers.
private func textResult(_ text: String) -> JSONValue {
    ["content": [["type": "text", "text": .string(text)]]]
}

/// The upstream's answer to a request.
private func success(_ text: String = #"{"object":"list","results":[]}"#) -> Reply {
    Reply(.upstream(.response(id: RequestID(101), result: textResult(text))))
}

/// What the proxy's terminal step returns when the transport fails (EraNegotiation.exchange / ProxySession.linkLost).
private func failure(_ error: TransportError, for exchange: Exchange) -> Reply {
    var reply = Reply(.proxy(UpstreamFailure.delivery(error, upstream: exchange.upstream, method: exchange.method,
                                                      tool: exchange.tool), outcome: "failed"))
    reply.httpStatus = error.httpStatus
    reply.transportError = error
    return reply
}

private func http(_ status: Int, retryAfter: String? = nil) -> TransportError {
    .httpStatus(status, retryAfter: retryAfter, detail: "")
}

private func proxyError(_ reply: Reply) -> (error: JSONRPCError, outcome: String)? {
    if case .proxy(let error, let outcome) = reply.outcome { return (error, outcome) }
    return nil
}

private func isUpstreamAnswer(_ reply: Reply) -> Bool {
    if case .upstream = reply.outcome { return true }
    return false
}

/// The IMF-fixdate form of `date`.
private func imfFixdate(_ date: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "GMT")
    formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
    return formatter.string(from: date)
}

/// The value of the sample `name{labels…}` in a Prometheus text exposition, when every label is present.
private func sample(_ exposition: String, _ name: String, _ labels: [String]) -> Double? {
    for line in exposition.split(separator: "\n") where line.hasPrefix(name + "{") || line.hasPrefix(name + " ") {
        guard labels.allSatisfy({ line.contains($0) }), let value = line.split(separator: " ").last else { continue }
        return Double(value)
    }
    return nil
}

/// A scripted upstream for the retry stage: hands out `replies` in order (the last one repeats) and counts calls.
private final class Script: Sendable {
    private let state: Mutex<(replies: [Reply], calls: Int)>

    init(_ replies: [Reply]) { state = Mutex((replies, 0)) }

    var calls: Int { state.withLock { $0.calls } }

    var next: Stage.Next {
        { _ in
            self.state.withLock { s in
                s.calls += 1
                return s.replies.count > 1 ? s.replies.removeFirst() : s.replies[0]
            }
        }
    }
}

/// Values appended from any task, in the order they arrived.
private final class Recorder<Value: Sendable>: Sendable {
    private let state = Mutex<[Value]>([])
    var values: [Value] { state.withLock { $0 } }
    func append(_ value: Value) { state.withLock { $0.append(value) } }
}

/// A retry stage on a manual clock, a seeded random source and its own metrics.
private struct RetryHarness {
    let clock = ManualClock()
    let metrics = KeeperMetrics()
    var settings = RetrySettings()
    var seed: UInt64 = 2024

    func stage(budget: RetryBudget? = nil) -> RetryStage {
        RetryStage(settings: settings, budget: budget ?? RetryBudget(ratio: settings.budgetRatio, clock: clock),
                   clock: clock, random: SeededRandomSource(seed: seed), metrics: metrics, logger: quietLogger)
    }
}

// MARK: - Retry-After

@Suite("Retry-After parsing")
struct RetryAfterTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)

    @Test("delta-seconds become that many seconds")
    func deltaSeconds() {
        #expect(RetryAfter.parse("120", now: now) == .seconds(120))
        #expect(RetryAfter.parse("1", now: now) == .seconds(1))
    }

    @Test("zero seconds means retry at once")
    func zero() {
        #expect(RetryAfter.parse("0", now: now) == .zero)
    }

    @Test("surrounding spaces are ignored")
    func trimmed() {
        #expect(RetryAfter.parse(" 3 ", now: now) == .seconds(3))
        #expect(RetryAfter.parse("\t3", now: now) == .seconds(3))
    }

    @Test("an IMF-fixdate 90 s after now waits 90 s")
    func imfFixdateInTheFuture() {
        let value = imfFixdate(now.addingTimeInterval(90))
        #expect(RetryAfter.parse(value, now: now) == .seconds(90), "parsing \(value)")
    }

    @Test("the three HTTP-date forms of RFC 9110 name the same instant")
    func obsoleteForms() {
        // RFC 9110 §5.6.7's example: Sun, 06 Nov 1994 08:49:37 GMT is 784111777 s after the epoch.
        let now = Date(timeIntervalSince1970: 784_111_777 - 90)
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == .seconds(90))
        #expect(RetryAfter.parse("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == .seconds(90), "RFC 850")
        #expect(RetryAfter.parse("Sun Nov  6 08:49:37 1994", now: now) == .seconds(90), "asctime")
    }

    @Test("an RFC 850 and an asctime date 90 s after an injected now wait 90 s")
    func obsoleteFormsRelativeToNow() {
        // 2023-11-14 22:13:20 GMT + 90 s.
        #expect(RetryAfter.parse("Tuesday, 14-Nov-23 22:14:50 GMT", now: now) == .seconds(90))
        #expect(RetryAfter.parse("Tue Nov 14 22:14:50 2023", now: now) == .seconds(90))
    }

    @Test("a date in the past waits zero")
    func pastDate() {
        #expect(RetryAfter.parse("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == .zero)
        #expect(RetryAfter.parse(imfFixdate(now.addingTimeInterval(-1)), now: now) == .zero)
    }

    @Test("anything that is neither delta-seconds nor an HTTP-date is nil", arguments: [
        "soon", "-5", "1.5", "", "   ", "12abc", "+3", "0x10", "Tomorrow, 06 Nov 1994 08:49:37 GMT",
    ])
    func garbage(_ value: String) {
        #expect(RetryAfter.parse(value, now: now) == nil)
    }

    @Test("a huge number of seconds does not crash and is a very long wait")
    func hugeNumber() throws {
        let beyondInt64 = try #require(RetryAfter.parse("99999999999999999999999999", now: now))
        #expect(beyondInt64 > .seconds(1_000_000))
        let int64Max = try #require(RetryAfter.parse("9223372036854775807", now: now))
        #expect(int64Max > .seconds(1_000_000))
    }
}

// MARK: - Backoff

@Suite("Full-jitter backoff")
struct BackoffTests {
    let backoff = Backoff(base: .milliseconds(250), cap: .seconds(30))

    @Test("the ceiling doubles from the base and stops at the cap")
    func ceilingDoublesThenCaps() {
        let expected: [Duration] = [.milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2), .seconds(4),
                                    .seconds(8), .seconds(16), .seconds(30), .seconds(30), .seconds(30)]
        #expect((0..<expected.count).map { backoff.ceiling(attempt: $0) } == expected)
        #expect(backoff.ceiling(attempt: -3) == .milliseconds(250))
    }

    @Test("10,000 seeded delays lie in [0, ceiling) and average about half the ceiling", arguments: [0, 1, 3, 6, 7, 12])
    func delaysAreUniformUnderTheCeiling(attempt: Int) {
        let random = SeededRandomSource(seed: 0xC0FFEE + UInt64(attempt))
        let ceiling = backoff.ceiling(attempt: attempt)
        var total = 0.0
        var outside: [Duration] = []
        for _ in 0..<10_000 {
            let delay = backoff.delay(attempt: attempt, random: random)
            if delay < .zero || delay >= ceiling { outside.append(delay) }
            total += delay.milliseconds
        }
        #expect(outside.isEmpty, "delays outside [0, \(ceiling)): \(outside.prefix(5))")
        let meanShare = total / 10_000 / ceiling.milliseconds
        #expect(meanShare > 0.45 && meanShare < 0.55, "mean is \(meanShare) of the ceiling")
    }

    @Test("the same seed gives the same delays")
    func seededIsRepeatable() {
        let a = SeededRandomSource(seed: 99), b = SeededRandomSource(seed: 99)
        #expect((0..<20).map { backoff.delay(attempt: $0, random: a) } == (0..<20).map { backoff.delay(attempt: $0, random: b) })
    }

    @Test("attempt numbers far beyond 30 do not overflow", arguments: [31, 62, 63, 64, 1_000, Int.max])
    func hugeAttempts(attempt: Int) {
        #expect(backoff.ceiling(attempt: attempt) == .seconds(30))
        let delay = backoff.delay(attempt: attempt, random: SeededRandomSource(seed: 1))
        #expect(delay >= .zero && delay < .seconds(30))
        let uncapped = Backoff(base: .milliseconds(250), cap: .seconds(1_000_000_000_000))
        #expect(uncapped.ceiling(attempt: attempt) == .milliseconds(250) * (1 << 30))
    }
}

// MARK: - Retry budget

@Suite("Retry budget")
struct RetryBudgetTests {
    @Test("20% of 100 requests allows 20 retries, then refuses")
    func twentyPercent() {
        let budget = RetryBudget(ratio: 0.2, clock: ManualClock())
        for _ in 0..<100 { budget.recordRequest() }
        let granted = (0..<25).filter { _ in budget.tryRetry() }.count
        #expect(granted == 20)
        #expect(!budget.tryRetry())
    }

    @Test("the minimum allows a few retries even with no requests")
    func minimumFloor() {
        let budget = RetryBudget(ratio: 0.2, minimumRetries: 3, clock: ManualClock())
        #expect(budget.tryRetry())
        #expect(budget.tryRetry())
        #expect(budget.tryRetry())
        #expect(!budget.tryRetry())
    }

    @Test("with no minimum and no ratio, no retry is ever allowed")
    func zeroBudget() {
        let budget = RetryBudget(ratio: 0, minimumRetries: 0, clock: ManualClock())
        for _ in 0..<50 { budget.recordRequest() }
        #expect(!budget.tryRetry())
    }

    @Test("thousands of requests leave the window as it slides: only the recent ones count")
    func manyRequestsSlideOut() async throws {
        let clock = ManualClock()
        let budget = RetryBudget(ratio: 0.2, window: .seconds(10), minimumRetries: 0, clock: clock)
        for _ in 0..<3000 { budget.recordRequest() }
        try await clock.sleep(for: .seconds(11))
        for _ in 0..<10 { budget.recordRequest() }
        #expect((0..<2).allSatisfy { _ in budget.tryRetry() })
        #expect(!budget.tryRetry(), "20% of the 10 requests in the window, not of the 3010 ever made")
    }

    @Test("retries stay counted within the window and the budget refills after it passes")
    func windowSlides() async throws {
        let clock = ManualClock()
        let budget = RetryBudget(ratio: 0.2, window: .seconds(10), minimumRetries: 0, clock: clock)
        for _ in 0..<100 { budget.recordRequest() }
        #expect((0..<20).allSatisfy { _ in budget.tryRetry() })
        #expect(!budget.tryRetry())

        try await clock.sleep(for: .seconds(5))
        #expect(!budget.tryRetry(), "5 s later the 20 retries are still in the window")

        try await clock.sleep(for: .seconds(11))
        #expect(!budget.tryRetry(), "the window is empty: no requests, no minimum, no retries")
        for _ in 0..<100 { budget.recordRequest() }
        let granted = (0..<25).filter { _ in budget.tryRetry() }.count
        #expect(granted == 20)
    }

    @Test("after the window passes, the minimum is available again")
    func minimumRefills() async throws {
        let clock = ManualClock()
        let budget = RetryBudget(ratio: 0.2, minimumRetries: 2, clock: clock)
        #expect(budget.tryRetry() && budget.tryRetry())
        #expect(!budget.tryRetry())
        try await clock.sleep(for: .seconds(11))
        #expect(budget.tryRetry() && budget.tryRetry())
        #expect(!budget.tryRetry())
    }
}

// MARK: - Classifier

@Suite("Retry classifier")
struct RetryClassifierTests {
    let now = Date(timeIntervalSince1970: 1_700_000_000)
    let catalog = makeCatalog([
        toolDefinition("API-patch-page"),
        toolDefinition("API-post-search", annotations: ["destructiveHint": true]),
        toolDefinition("fetch-thing", annotations: ["readOnlyHint": true]),
        toolDefinition("set-flag", annotations: ["idempotentHint": true, "readOnlyHint": false]),
        toolDefinition("append-row", annotations: ["readOnlyHint": false, "idempotentHint": false]),
    ])

    private func decide(_ error: TransportError, _ exchange: Exchange) -> RetryDecision {
        RetryClassifier.decide(failure(error, for: exchange), for: exchange, now: now)
    }

    private var write: Exchange { makeToolCall("API-patch-page", catalog: catalog) }

    @Test("429 is retried, after its Retry-After when it has one")
    func http429() {
        #expect(decide(http(429, retryAfter: "7"), write) == .retry(reason: "http_429", after: .seconds(7)))
        #expect(decide(http(429), write) == .retry(reason: "http_429", after: nil))
        let date = imfFixdate(now.addingTimeInterval(4))
        #expect(decide(http(429, retryAfter: date), write) == .retry(reason: "http_429", after: .seconds(4)))
    }

    @Test("503 with Retry-After is retried even for a write")
    func http503WithRetryAfter() {
        #expect(decide(http(503, retryAfter: "2"), write) == .retry(reason: "http_503", after: .seconds(2)))
    }

    @Test("503 without Retry-After is retried only when safe to repeat")
    func http503WithoutRetryAfter() {
        #expect(decide(http(503), write) == .done)
        #expect(decide(http(503), makeExchange(method: "tools/list", catalog: catalog)) == .retry(reason: "http_503", after: nil))
    }

    @Test("connect failures, a closed link and an expired session are always retried")
    func neverSent() {
        let exchanges = [write, makeExchange(method: "tools/list"), makeToolCall("unknown-tool")]
        for exchange in exchanges {
            #expect(decide(.connectFailed("refused"), exchange) == .retry(reason: "connect", after: nil))
            #expect(decide(.closed("notion"), exchange) == .retry(reason: "connect", after: nil))
            #expect(decide(.timedOut(phase: "connect"), exchange) == .retry(reason: "connect", after: nil))
            #expect(decide(.sessionExpired, exchange) == .retry(reason: "session_expired", after: nil))
        }
    }

    @Test("502, 504, lost connections and timeouts are retried for idempotent methods and read or idempotent tools")
    func maybeProcessedSafe() {
        let safe = [
            makeExchange(method: "tools/list", catalog: catalog),
            makeExchange(method: "ping", catalog: catalog),
            makeToolCall("fetch-thing", catalog: catalog),
            makeToolCall("set-flag", catalog: catalog),
            makeToolCall("API-post-search", catalog: catalog),
            makeToolCall("API-retrieve-a-page", catalog: catalog),
        ]
        for exchange in safe {
            let what = exchange.tool ?? exchange.method
            #expect(RetryClassifier.isSafeToRepeat(exchange), "\(what)")
            #expect(decide(http(502), exchange) == .retry(reason: "http_502", after: nil), "\(what)")
            #expect(decide(http(504), exchange) == .retry(reason: "http_504", after: nil), "\(what)")
            #expect(decide(.connectionLost("reset"), exchange) == .retry(reason: "connection_lost", after: nil), "\(what)")
            #expect(decide(.timedOut(phase: "response headers"), exchange) == .retry(reason: "connection_lost", after: nil), "\(what)")
        }
    }

    @Test("annotations the config sets for a tool outrank the server's when deciding whether it may go twice")
    func configuredAnnotations() {
        let read = makeToolCall("API-retrieve-a-page", catalog: catalog)
        #expect(!RetryClassifier.isSafeToRepeat(read, configured: ["readOnlyHint": false]), "a person said it writes")
        #expect(RetryClassifier.decide(failure(.connectionLost("reset"), for: read), for: read, now: now, configured: ["destructiveHint": true]) == .done)
        #expect(RetryClassifier.isSafeToRepeat(write, configured: ["idempotentHint": true]), "a person said repeating it is harmless")
        #expect(RetryClassifier.isSafeToRepeat(read, configured: ["title": "Read a page"]), "an override of other annotations keeps the server's word")
    }

    @Test("502, 504, lost connections and timeouts are never retried for a write tool")
    func maybeProcessedWrite() {
        let writes = [
            write,
            makeToolCall("append-row", catalog: catalog),
            makeToolCall("API-patch-page"),  // not in the catalog at all
            makeExchange(method: "tools/call", params: ["arguments": [:]], catalog: catalog),  // no tool name
            makeExchange(method: "initialize", catalog: catalog),
        ]
        for exchange in writes {
            let what = exchange.tool ?? exchange.method
            #expect(!RetryClassifier.isSafeToRepeat(exchange), "\(what)")
            #expect(decide(http(502), exchange) == .done, "\(what)")
            #expect(decide(http(504), exchange) == .done, "\(what)")
            #expect(decide(.connectionLost("reset"), exchange) == .done, "\(what)")
            #expect(decide(.timedOut(phase: "response body"), exchange) == .done, "\(what)")
        }
    }

    @Test("other HTTP errors are final", arguments: [400, 401, 403, 409, 500])
    func otherStatuses(status: Int) {
        #expect(decide(http(status, retryAfter: "1"), makeExchange(method: "tools/list")) == .done)
    }

    @Test("Notion's rate limit inside a tools/call result is retried, with its retry_after when given")
    func notionRateLimit() {
        let exchange = write
        let plain = Reply(.upstream(.response(id: RequestID(9), result: textResult(notionRateLimited))))
        #expect(RetryClassifier.decide(plain, for: exchange, now: now) == .retry(reason: "notion_rate_limited", after: nil))
        let waited = Reply(.upstream(.response(id: RequestID(9), result: textResult(notionRateLimitedWithWait))))
        #expect(RetryClassifier.decide(waited, for: exchange, now: now) == .retry(reason: "notion_rate_limited", after: .seconds(2)))
    }

    @Test("an ordinary result, a different Notion error or a text that merely mentions rate_limited is final")
    func notNotionRateLimit() {
        let exchange = makeToolCall("API-post-search", catalog: catalog)
        let texts = [
            #"{"object":"list","results":[]}"#,
            notionValidationError,
            "The page says rate_limited in prose",
            #"{"object":"page","properties":{"title":"rate_limited"}}"#,
        ]
        for text in texts {
            let reply = Reply(.upstream(.response(id: RequestID(9), result: textResult(text))))
            #expect(RetryClassifier.decide(reply, for: exchange, now: now) == .done, "\(text)")
        }
    }

    @Test("Notion's rate limit in any content item is retried, not only in a single one")
    func notionRateLimitInSecondItem() {
        let twoParts: JSONValue = ["content": [["type": "text", "text": "x"], ["type": "text", "text": .string(notionRateLimited)]]]
        let reply = Reply(.upstream(.response(id: RequestID(9), result: twoParts)))
        #expect(RetryClassifier.decide(reply, for: write, now: now) == .retry(reason: "notion_rate_limited", after: nil))
    }

    @Test("a rate-limit text in something other than a tools/call result is not retried")
    func notionRateLimitOutsideToolsCall() {
        let reply = Reply(.upstream(.response(id: RequestID(9), result: textResult(notionRateLimited))))
        #expect(RetryClassifier.decide(reply, for: makeExchange(method: "resources/read"), now: now) == .done)
    }

    @Test("an absurd retry_after in Notion's rate-limit text does not crash the proxy")
    func notionRateLimitHugeRetryAfter() async {
        // Int64(seconds * 1000) traps for retry_after ≥ ~9.2e15 (and for 1e400, which parses as infinity).
        await #expect(processExitsWith: .success) {
            for wait in ["1e16", "1e300", "1e400"] {
                let text = #"{"object":"error","status":429,"code":"rate_limited","message":"x","retry_after":"# + wait + "}"
                _ = NotionOutcomeClassifier().classify(result: ["content": [["type": "text", "text": .string(text)]]], now: Date())
            }
        }
    }
}

// MARK: - Retry stage

@Suite("Retry stage")
struct RetryStageTests {
    let catalog = makeCatalog([
        toolDefinition("API-patch-page"),
        toolDefinition("API-post-search"),
        toolDefinition("fetch-thing", annotations: ["readOnlyHint": true]),
    ])

    @Test("a 429 then a success takes two attempts and waits exactly the Retry-After")
    func retryAfterHonoured() async throws {
        let h = RetryHarness()
        let exchange = makeToolCall("API-patch-page", catalog: catalog)
        let script = Script([failure(http(429, retryAfter: "3"), for: exchange), success()])
        let reply = try await h.stage().handle(exchange, next: script.next)
        #expect(script.calls == 2)
        #expect(reply.attempts == 2)
        #expect(reply.retryWait == .seconds(3))
        #expect(h.clock.sleeps == [.seconds(3)])
        #expect(isUpstreamAnswer(reply))
    }

    @Test("an HTTP-date Retry-After is measured from the clock's date")
    func retryAfterDate() async throws {
        let h = RetryHarness()
        let exchange = makeExchange(method: "tools/list", catalog: catalog)
        let when = imfFixdate(h.clock.date.addingTimeInterval(5))
        let script = Script([failure(http(429, retryAfter: when), for: exchange), success()])
        let reply = try await h.stage().handle(exchange, next: script.next)
        #expect(reply.attempts == 2)
        #expect(h.clock.sleeps == [.seconds(5)])
    }

    @Test("without Retry-After each wait is full jitter under the doubling ceiling")
    func fullJitter() async throws {
        var h = RetryHarness()
        h.settings.baseDelay = .milliseconds(100)
        h.settings.maxDelay = .seconds(10)
        let exchange = makeExchange(method: "tools/list", catalog: catalog)
        let script = Script([failure(http(503), for: exchange), failure(http(502), for: exchange),
                             failure(.connectFailed("refused"), for: exchange), failure(http(504), for: exchange), success()])
        // The default budget's floor (3 retries per window) would stop the fourth retry of a lone request.
        let budget = RetryBudget(ratio: 0.2, minimumRetries: 10, clock: h.clock)
        let reply = try await h.stage(budget: budget).handle(exchange, next: script.next)
        #expect(script.calls == 5)
        #expect(reply.attempts == 5)
        let backoff = Backoff(base: .milliseconds(100), cap: .seconds(10))
        let sleeps = h.clock.sleeps
        try #require(sleeps.count == 4)
        for (k, wait) in sleeps.enumerated() {
            #expect(wait >= .zero && wait < backoff.ceiling(attempt: k), "wait \(k) was \(wait)")
        }
        let replay = SeededRandomSource(seed: h.seed)
        #expect(sleeps == (0..<4).map { backoff.delay(attempt: $0, random: replay) }, "the seeded source decides the waits")
        #expect(reply.retryWait == sleeps.reduce(.zero, +))
    }

    @Test("max_attempts bounds the calls and the final error says what happened")
    func maxAttempts() async throws {
        var h = RetryHarness()
        h.settings.maxAttempts = 3
        let exchange = makeToolCall("API-patch-page", catalog: catalog)
        let script = Script(Array(repeating: failure(http(429, retryAfter: "1"), for: exchange), count: 5))
        let reply = try await h.stage().handle(exchange, next: script.next)
        #expect(script.calls == 3)
        #expect(reply.attempts == 3)
        #expect(h.clock.sleeps == [.seconds(1), .seconds(1)])
        let (error, outcome) = try #require(proxyError(reply))
        #expect(outcome == "failed")
        #expect(error.code == JSONRPCError.upstreamUnavailableCode)
        #expect(error.message.contains("max_attempts"), "\(error.message)")
        #expect(error.message.contains("'notion'"), "\(error.message)")
        #expect(error.data?["upstream_status"]?.intValue == 429)
        #expect(error.data?["outcome"] == "not_sent")
        #expect(error.data?["retry_after_s"]?.intValue == 1)
        #expect(error.data?["attempts"]?.intValue == 3, "DESIGN.md: data {upstream_status, retry_after_s, attempts}; got \(String(describing: error.data))")
    }

    @Test("a Retry-After beyond the deadline fails at once with the wait in the error's data")
    func retryAfterTooLong() async throws {
        let h = RetryHarness()
        let exchange = makeExchange(method: "tools/list", catalog: catalog)
        let script = Script([failure(http(429, retryAfter: "120"), for: exchange), success()])
        let reply = try await h.stage().handle(exchange, next: script.next)
        #expect(script.calls == 1)
        #expect(reply.attempts == 1)
        #expect(h.clock.sleeps.isEmpty)
        let (error, _) = try #require(proxyError(reply))
        #expect(error.code == JSONRPCError.upstreamUnavailableCode)
        #expect(error.message.contains("120 s"), "\(error.message)")
        #expect(error.message.contains("retry.deadline"), "\(error.message)")
        #expect(error.data?["retry_after_s"]?.intValue == 120)
        #expect(error.data?["upstream_status"]?.intValue == 429)
    }

    @Test("the deadline stops a retry whose wait would pass it")
    func deadline() async throws {
        var h = RetryHarness()
        h.settings.deadline = .seconds(1)
        let exchange = makeExchange(method: "tools/list", catalog: catalog)
        let script = Script([failure(http(429, retryAfter: "2"), for: exchange), success()])
        let reply = try await h.stage().handle(exchange, next: script.next)
        #expect(script.calls == 1)
        #expect(h.clock.sleeps.isEmpty)
        let (error, _) = try #require(proxyError(reply))
        #expect(error.message.contains("deadline"), "\(error.message)")
        #expect(error.data?["retry_after_s"]?.intValue == 2)
    }

    @Test("the deadline counts the time already spent waiting")
    func deadlineAccumulates() async throws {
        var h = RetryHarness()
        h.settings.deadline = .seconds(5)
        let exchange = makeExchange(method: "tools/list", catalog: catalog)
        let script = Script(Array(repeating: failure(http(429, retryAfter: "2"), for: exchange), count: 5))
        let reply = try await h.stage().handle(exchange, next: script.next)
        #expect(script.calls == 3, "waits of 2 s and 2 s fit in 5 s; a third would end at 6 s")
        #expect(h.clock.sleeps == [.seconds(2), .seconds(2)])
        #expect(try #require(proxyError(reply)).error.message.contains("deadline"))
    }

    @Test("a spent retry budget stops retries")
    func budgetSpent() async throws {
        let h = RetryHarness()
        let exchange = makeExchange(method: "tools/list", catalog: catalog)
        let script = Script([failure(http(429, retryAfter: "1"), for: exchange), success()])
        let budget = RetryBudget(ratio: 0, minimumRetries: 0, clock: h.clock)
        let reply = try await h.stage(budget: budget).handle(exchange, next: script.next)
        #expect(script.calls == 1)
        #expect(h.clock.sleeps.isEmpty)
        let (error, _) = try #require(proxyError(reply))
        #expect(error.message.contains("budget"), "\(error.message)")
        #expect(error.data?["outcome"] == "not_sent")
    }

    @Test("a write tool whose connection broke after sending is not retried and its outcome is unknown")
    func writeNotRepeated() async throws {
        let h = RetryHarness()
        let exchange = makeToolCall("API-patch-page", catalog: catalog)
        let script = Script([failure(.connectionLost("connection reset by peer"), for: exchange), success()])
        let reply = try await h.stage().handle(exchange, next: script.next)
        #expect(script.calls == 1)
        #expect(reply.attempts == 1)
        let (error, _) = try #require(proxyError(reply))
        #expect(error.code == JSONRPCError.outcomeUnknownCode)
        #expect(error.data?["outcome"] == "unknown")
        #expect(error.message.contains("may or may not"), "\(error.message)")
    }

    @Test("a read tool whose connection broke after sending is retried")
    func readRepeated() async throws {
        for tool in ["API-post-search", "fetch-thing"] {
            let h = RetryHarness()
            let exchange = makeToolCall(tool, catalog: catalog)
            let script = Script([failure(.connectionLost("connection reset by peer"), for: exchange), success()])
            let reply = try await h.stage().handle(exchange, next: script.next)
            #expect(script.calls == 2, "\(tool)")
            #expect(reply.attempts == 2, "\(tool)")
            #expect(isUpstreamAnswer(reply), "\(tool)")
        }
    }

    @Test("a read tool that keeps losing its connection ends with an unknown outcome")
    func readExhausted() async throws {
        var h = RetryHarness()
        h.settings.maxAttempts = 2
        let exchange = makeToolCall("API-post-search", catalog: catalog)
        let script = Script([failure(.connectionLost("reset"), for: exchange)])
        let reply = try await h.stage().handle(exchange, next: script.next)
        #expect(script.calls == 2)
        let (error, _) = try #require(proxyError(reply))
        #expect(error.code == JSONRPCError.outcomeUnknownCode)
        #expect(error.data?["outcome"] == "unknown")
    }

    @Test("Notion's in-result rate limit is retried after its retry_after, then gives up with status 429")
    func notionRateLimited() async throws {
        var h = RetryHarness()
        h.settings.maxAttempts = 3
        let exchange = makeToolCall("API-patch-page", catalog: catalog)
        let limited = Reply(.upstream(.response(id: RequestID(9), result: textResult(notionRateLimitedWithWait))))
        let recovered = try await h.stage().handle(exchange, next: Script([limited, success()]).next)
        #expect(recovered.attempts == 2)
        #expect(h.clock.sleeps == [.seconds(2)])
        #expect(isUpstreamAnswer(recovered))

        let script = Script([limited])
        let reply = try await h.stage().handle(exchange, next: script.next)
        #expect(script.calls == 3)
        let (error, _) = try #require(proxyError(reply))
        #expect(error.code == JSONRPCError.upstreamUnavailableCode)
        #expect(error.data?["upstream_status"]?.intValue == 429)
        #expect(error.data?["outcome"] == "not_sent")
        #expect(error.message.contains("rate_limited"), "\(error.message)")
    }

    @Test("cancelling the task during a retry wait throws CancellationError and sends nothing more")
    func cancelledWhileWaiting() async throws {
        let h = RetryHarness()
        h.clock.holdSleeps()
        let exchange = makeExchange(method: "tools/list", catalog: catalog)
        let script = Script([failure(http(429, retryAfter: "3"), for: exchange), success()])
        let stage = h.stage()
        let task = Task { try await stage.handle(exchange, next: script.next) }
        #expect(await eventually { h.clock.heldCount == 1 })
        task.cancel()
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(script.calls == 1)
        h.clock.releaseAll()
    }

    @Test("a task cancelled before the wait does not send again")
    func cancelledBeforeWaiting() async throws {
        let h = RetryHarness()
        let exchange = makeExchange(method: "tools/list", catalog: catalog)
        let script = Script([failure(.connectFailed("refused"), for: exchange), success()])
        let stage = h.stage()
        let task = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await stage.handle(exchange, next: script.next)
        }
        let result = await task.result
        #expect(throws: CancellationError.self) { try result.get() }
        #expect(script.calls == 1)
    }

    @Test("retries are counted by reason, and rate limits separately")
    func metricsCounted() async throws {
        let h = RetryHarness()
        let exchange = makeExchange(method: "tools/list", catalog: catalog)
        let script = Script([failure(http(429, retryAfter: "1"), for: exchange), failure(.connectFailed("refused"), for: exchange),
                             failure(http(429), for: exchange), success()])
        _ = try await h.stage().handle(exchange, next: script.next)
        let text = h.metrics.exposition()
        #expect(sample(text, "mcpkeeper_upstream_retries_total", [#"upstream="notion""#, #"reason="http_429""#]) == 2, "\(text)")
        #expect(sample(text, "mcpkeeper_upstream_retries_total", [#"upstream="notion""#, #"reason="connect""#]) == 1, "\(text)")
        #expect(sample(text, "mcpkeeper_upstream_rate_limited_total", [#"upstream="notion""#]) == 2, "\(text)")
    }

    @Test("a success at once is one attempt with no wait and no retry counted")
    func noRetryNeeded() async throws {
        let h = RetryHarness()
        let script = Script([success()])
        let reply = try await h.stage().handle(makeExchange(method: "tools/list"), next: script.next)
        #expect(script.calls == 1)
        #expect(reply.attempts == 1)
        #expect(reply.retryWait == .zero)
        #expect(!h.metrics.exposition().contains("mcpkeeper_upstream_retries_total{"))
    }
}

// MARK: - Token bucket

@Suite("Token bucket pacing")
struct TokenBucketTests {
    @Test("a burst passes at once")
    func burstPasses() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 3, burst: 3, queueLimit: 10, clock: clock)
        for _ in 0..<3 { try await bucket.acquire() }
        #expect(clock.sleeps.isEmpty)
        #expect(await bucket.queueDepth == 0)
    }

    @Test("the request after the burst waits until a token accrues")
    func fourthWaits() async throws {
        let clock = ManualClock()
        let start = clock.now
        let bucket = TokenBucket(rate: 3, burst: 3, queueLimit: 10, clock: clock)
        for _ in 0..<3 { try await bucket.acquire() }
        try await bucket.acquire()
        let waited = clock.now - start
        #expect(waited >= .milliseconds(333) && waited < .milliseconds(400), "waited \(waited)")
        #expect(clock.sleeps.reduce(.zero, +) == waited)
    }

    @Test("waiters are released in the order they arrived")
    func fifo() async throws {
        let clock = ManualClock()
        let depths = Recorder<Int>()
        let bucket = TokenBucket(rate: 1, burst: 1, queueLimit: 10, clock: clock) { depth in depths.append(depth) }
        try await bucket.acquire()
        clock.holdSleeps()
        let released = Recorder<Int>()
        var tasks: [Task<Void, any Error>] = []
        for i in 0..<5 {
            tasks.append(Task {
                try await bucket.acquire()
                released.append(i)
            })
            #expect(await eventually { await bucket.queueDepth == i + 1 }, "waiter \(i) queued")
        }
        for i in 0..<5 {
            #expect(await eventually { clock.heldCount == 1 }, "the drainer waits for a token before waiter \(i)")
            clock.releaseHeld()
            #expect(await eventually { released.values.count == i + 1 })
            #expect(released.values == Array(0...i))
        }
        for task in tasks { try await task.value }
        #expect(await bucket.queueDepth == 0)
        #expect(depths.values == [1, 2, 3, 4, 5, 4, 3, 2, 1, 0])
        #expect(clock.sleeps.allSatisfy { $0 == .seconds(1) }, "\(clock.sleeps)")
        clock.releaseAll()
    }

    @Test("a full queue refuses the next request at once")
    func fullQueue() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 1, burst: 1, queueLimit: 2, clock: clock)
        try await bucket.acquire()
        clock.holdSleeps()
        let waiters = (0..<2).map { _ in Task { try await bucket.acquire() } }
        #expect(await eventually { await bucket.queueDepth == 2 })
        let error = await #expect(throws: PacingQueueFull.self) { try await bucket.acquire() }
        #expect(error?.limit == 2)
        #expect(await bucket.queueDepth == 2)
        clock.releaseAll()
        for waiter in waiters { try await waiter.value }
    }

    @Test("the proxy's own request waits in a full queue instead of being refused, and goes in its turn")
    func ownRequestPastFullQueue() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 1, burst: 1, queueLimit: 1, clock: clock)
        let stage = PacingStage(bucket: bucket, clock: clock)
        try await bucket.acquire()
        clock.holdSleeps()
        let client = Task { try await bucket.acquire() }
        #expect(await eventually { await bucket.queueDepth == 1 })
        let refused = try await stage.handle(makeExchange(method: "ping", id: 2)) { _ in Reply(.upstream(.response(id: RequestID(2), result: [:]))) }
        guard case .proxy(let error, _) = refused.outcome else { Issue.record("a client request past a full queue was sent"); return }
        #expect(error.message.contains("Too many requests are waiting"))
        let own = Task {
            try await stage.handleOwn(makeExchange(method: "initialize", id: 0)) { _ in Reply(.upstream(.response(id: RequestID(0), result: [:]))) }
        }
        #expect(await eventually { await bucket.queueDepth == 2 }, "the own request queued behind the client's")
        clock.releaseAll()
        try await client.value
        guard case .upstream = try await own.value.outcome else { Issue.record("the own request was not sent"); return }
    }

    @Test("a queue limit of zero refuses whenever no token is left")
    func zeroQueue() async throws {
        let bucket = TokenBucket(rate: 1, burst: 1, queueLimit: 0, clock: ManualClock())
        try await bucket.acquire()
        await #expect(throws: PacingQueueFull.self) { try await bucket.acquire() }
    }

    @Test("cancelling a waiting request removes it from the queue and throws CancellationError")
    func cancelWaiter() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 1, burst: 1, queueLimit: 5, clock: clock)
        try await bucket.acquire()
        clock.holdSleeps()
        let first = Task { try await bucket.acquire() }
        #expect(await eventually { await bucket.queueDepth == 1 })
        let second = Task { try await bucket.acquire() }
        #expect(await eventually { await bucket.queueDepth == 2 })
        first.cancel()
        #expect(await eventually { await bucket.queueDepth == 1 })
        let result = await first.result
        #expect(throws: CancellationError.self) { try result.get() }
        clock.releaseAll()
        try await second.value
        #expect(await bucket.queueDepth == 0)
    }
}

// MARK: - Pacing stage

@Suite("Pacing stage")
struct PacingStageTests {
    @Test("a request with a token available goes through")
    func passes() async throws {
        let stage = PacingStage(bucket: TokenBucket(rate: 3, burst: 3, queueLimit: 1, clock: ManualClock()))
        let script = Script([success()])
        let reply = try await stage.handle(makeExchange(method: "tools/list"), next: script.next)
        #expect(script.calls == 1)
        #expect(isUpstreamAnswer(reply))
    }

    @Test("a full queue becomes a refusal naming the upstream and saying nothing was sent")
    func fullQueueRefused() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 3, burst: 1, queueLimit: 1, clock: clock)
        try await bucket.acquire()
        clock.holdSleeps()
        let waiter = Task { try await bucket.acquire() }
        #expect(await eventually { await bucket.queueDepth == 1 })

        let script = Script([success()])
        let reply = try await PacingStage(bucket: bucket).handle(makeToolCall("API-post-search"), next: script.next)
        #expect(script.calls == 0)
        let (error, outcome) = try #require(proxyError(reply))
        #expect(outcome == "rejected")
        #expect(error.code == -32000)
        #expect(error.message.contains("'notion'"), "\(error.message)")
        #expect(error.message.contains("not sent"), "\(error.message)")
        #expect(error.message.contains("3/s"), "\(error.message)")
        #expect(error.data?["outcome"] == "not_sent")
        #expect(error.data?["queue_limit"]?.intValue == 1)

        clock.releaseAll()
        try await waiter.value
    }
}
