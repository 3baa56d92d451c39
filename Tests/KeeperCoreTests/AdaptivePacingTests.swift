@testable import KeeperCore
import Foundation
import Logging
import Synchronization
import Testing

private let rateLimitText = #"{"object":"error","status":429,"code":"rate_limited","message":"Slow down.","retry_after":0}"#

private func toolReply(_ text: String) -> Reply {
    Reply(.upstream(.response(id: RequestID(7), result: ["content": [["type": "text", "text": .string(text)]]])))
}

@Suite("Adaptive pacing (AIMD)")
struct AdaptivePacingTests {
    @Test("a rate limit halves the rate and empties the bucket, so the next request waits")
    func rateLimitHalves() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 4, burst: 4, queueLimit: 10, clock: clock)
        await bucket.rateLimited()
        #expect(await bucket.rate == 2)
        let start = clock.now
        try await bucket.acquire()
        #expect(clock.now - start == .milliseconds(500), "a token at the halved rate of 2/s takes 500 ms, not the saved burst")
    }

    @Test("rate limits of one burst count once; a later one halves again, never below a tenth")
    func decreaseSpacingAndFloor() async {
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 3, burst: 3, queueLimit: 10, clock: clock)
        await bucket.rateLimited()
        await bucket.rateLimited()
        clock.advance(by: .milliseconds(900))
        await bucket.rateLimited()
        #expect(await bucket.rate == 1.5, "three 429s within a second are one decrease")
        var rates: [Double] = []
        for _ in 0..<6 {
            clock.advance(by: .seconds(1))
            await bucket.rateLimited()
            rates.append(await bucket.rate)
        }
        #expect(rates == [0.75, 0.375, 0.3, 0.3, 0.3, 0.3], "halving stops at the floor of 0.3/s")
    }

    @Test("each answer without a rate limit gives back a twentieth of the configured rate, up to it")
    func additiveRecovery() async {
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 4, burst: 4, queueLimit: 10, clock: clock)
        await bucket.rateLimited()
        var rates: [Double] = []
        for _ in 0..<12 {
            await bucket.answered()
            rates.append(await bucket.rate)
        }
        #expect(rates.map { ($0 * 10).rounded() / 10 } == [2.2, 2.4, 2.6, 2.8, 3, 3.2, 3.4, 3.6, 3.8, 4, 4, 4], "\(rates)")
        #expect(rates.last == 4, "it ends exactly at the configured rate")
    }

    @Test("the pacing stage slows on Notion's rate limit in any shape, and recovers on other answers")
    func stageFeedsBack() async throws {
        let clock = ManualClock()
        let bucket = TokenBucket(rate: 4, burst: 4, queueLimit: 10, clock: clock)
        let stage = PacingStage(bucket: bucket, clock: clock)
        let exchange = makeToolCall("API-retrieve-a-page")
        let nested = #"{"error":true,"status_code":429,"details":\#(rateLimitText)}"#
        let limited = try await stage.handle(exchange) { _ in toolReply(nested) }
        #expect(limited.notion?.outcome == .rateLimited, "the verdict travels on the reply for the retry stage")
        #expect(await bucket.rate == 2)
        let fine = try await stage.handle(exchange) { _ in toolReply(#"{"object":"page","id":"p1"}"#) }
        #expect(fine.notion == .success)
        #expect((await bucket.rate * 10).rounded() == 22)
    }
}

@Suite("Rate-limit waits in the retry stage")
struct RateLimitWaitTests {
    private final class Replies: Sendable {
        private let state: Mutex<[Reply]>
        init(_ replies: [Reply]) { state = Mutex(replies) }
        var next: Stage.Next { { _ in self.state.withLock { $0.count > 1 ? $0.removeFirst() : $0[0] } } }
    }

    private func stage(_ clock: ManualClock, _ metrics: KeeperMetrics, seed: UInt64 = 3) -> RetryStage {
        RetryStage(settings: RetrySettings(), budget: RetryBudget(ratio: 1, clock: clock), clock: clock,
                   random: SeededRandomSource(seed: seed), metrics: metrics, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    @Test("a rate limit that names no wait is retried after at least a second, with up to half again as jitter")
    func notionSizedWait() async throws {
        for seed in UInt64(1)...20 {
            let clock = ManualClock()
            let metrics = KeeperMetrics()
            let nested = #"{"error":true,"status_code":429,"details":{"object":"error","status":429,"code":"rate_limited","message":"Slow down."}}"#
            let replies = Replies([toolReply(nested), toolReply(#"{"object":"page"}"#)])
            let reply = try await stage(clock, metrics, seed: seed).handle(makeToolCall("API-post-page"), next: replies.next)
            #expect(reply.attempts == 2)
            #expect(clock.sleeps.count == 1)
            let wait = clock.sleeps[0]
            #expect(wait >= .seconds(1) && wait < .milliseconds(1500), "seed \(seed): waited \(wait)")
            let text = metrics.exposition()
            #expect(text.contains(#"mcpkeeper_notion_outcomes_total{upstream="notion",outcome="rate_limited",rule="notion_error_nested"} 1"#), "\(text)")
            #expect(text.contains(#"mcpkeeper_upstream_retry_wait_seconds_count{upstream="notion",reason="notion_rate_limited"} 1"#), "\(text)")
        }
    }

    @Test("the wait a server names wins: Notion's hosted retry_after_seconds, a plain-text phrase")
    func namedWaits() async throws {
        let hosted = #"{"error":{"code":"rate_limited","message":"Rate limited.","retry_after_seconds":3}}"#
        let plain = "Tool: get_page\nStatus: 429\nError: Rate limit exceeded. Wait 0.25s"
        for (text, expected) in [(hosted, Duration.seconds(3)), (plain, .milliseconds(250))] {
            let clock = ManualClock()
            let replies = Replies([toolReply(text), toolReply(#"{"object":"page"}"#)])
            let reply = try await stage(clock, KeeperMetrics()).handle(makeToolCall("API-post-page"), next: replies.next)
            #expect(reply.attempts == 2)
            #expect(clock.sleeps == [expected], "\(text)")
        }
    }

    @Test("a configured rate_limit_wait raises the least wait, and it doubles with each attempt")
    func configuredMinimum() {
        let wait = RateLimitWait(minimum: .seconds(2), cap: .seconds(30))
        let zero = SeededRandomSource(seed: 9)
        let delays = (0..<5).map { wait.delay(attempt: $0, random: zero) }
        let floors: [Duration] = [.seconds(2), .seconds(4), .seconds(8), .seconds(16), .seconds(30)]
        for (delay, floor) in zip(delays, floors) {
            #expect(delay >= floor && delay < floor * 1.5, "\(delays)")
        }
    }
}
