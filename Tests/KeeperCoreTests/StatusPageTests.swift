@testable import KeeperCore
import Foundation
import Synchronization
import Testing

private let now = Date(timeIntervalSince1970: 1_700_000_000)

/// A probe result at `offset` seconds from `now`, with phase timings when it succeeded.
private func probe(_ target: String, at offset: TimeInterval, success: Bool, totalMS: Int64 = 120,
                   failure: String? = nil, hint: String? = nil) -> ProbeResult {
    var result = ProbeResult(target: target, startedAt: now.addingTimeInterval(offset))
    result.success = success
    result.status = success ? .ok : .critical
    result.durations = [.connect: .milliseconds(5), .initialize: .milliseconds(20), .total: .milliseconds(totalMS)]
    if !success {
        result.failedPhase = .initialize
        result.failure = failure ?? "initialize failed"
        result.hint = hint
    }
    return result
}

/// A clock for the board that tests move by hand.
private final class BoardClock: Sendable {
    private let date = Mutex(now)
    func advance(_ seconds: TimeInterval) { date.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var read: @Sendable () -> Date { { self.date.withLock { $0 } } }
}

@Suite("Status page")
struct StatusPageTests {
    @Test("upstream-controlled names, errors and hints are escaped; no markup of theirs reaches the page")
    func escapesEverything() {
        let hostile = #"<script>alert("x")</script>"#
        let board = StatusBoard(now: { now })
        board.record(probe(hostile, at: -10, success: false, failure: #""><img src=x onerror=alert(1)>"#, hint: "fix & <b>retry</b>"))
        let html = StatusPage.html(board.page(source: "monitor", refreshSeconds: 10, token: { _ in .notLoggedIn }))
        #expect(!html.lowercased().contains("<script"), "\(html)")
        #expect(!html.contains("<img"), "\(html)")
        #expect(!html.contains("<b>retry"), "\(html)")
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), "\(html)")
        #expect(html.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"), "\(html)")
        #expect(html.contains("fix &amp; &lt;b&gt;retry&lt;/b&gt;"), "\(html)")
        #expect(html.contains("data-upstream=\"&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;\""), "attribute values are escaped too: \(html)")
        #expect(html.contains("mcpkeeper auth login --upstream &lt;script&gt;"), "\(html)")
    }

    @Test("control characters from an upstream become replacement characters")
    func controlCharacters() {
        #expect(HTMLText.escape("a\u{1B}[31mb\u{0}") == "a\u{FFFD}[31mb\u{FFFD}")
    }

    @Test("a down target shows since when, its probe timings, the error with its hint, and a latency sparkline")
    func downTarget() {
        let board = StatusBoard(now: { now })
        board.record(probe("notion", at: -120, success: true, totalMS: 80))
        board.record(probe("notion", at: -60, success: true, totalMS: 160))
        board.record(probe("notion", at: -30, success: false, failure: "connection refused", hint: "start the server"))
        let html = StatusPage.html(board.page(source: "monitor", refreshSeconds: 15))
        #expect(html.contains(#"data-upstream="notion" data-state="down""#), "\(html)")
        #expect(html.contains("Down since <time datetime=\"2023-11-14T22:12:50Z\""), "\(html)")
        #expect(html.contains("30 s ago"), "\(html)")
        #expect(html.contains("<td>20 ms</td>"), "initialize's time is in the probe table: \(html)")
        #expect(html.contains(#"<td class="failed">20 ms</td>"#), "the failed phase is marked: \(html)")
        #expect(html.contains(#"<span class="message">connection refused</span><br><span class="hint">start the server</span>"#), "\(html)")
        #expect(html.contains("<svg class=\"latency\""), "\(html)")
        #expect(html.contains(#"<polyline class="ok" points="4,24 150,4"/>"#), "two successes draw one line, the slower at the top: \(html)")
        #expect(html.contains(#"<circle class="fail""#), "the failure is marked: \(html)")
        #expect(html.contains(#"<meta http-equiv="refresh" content="15">"#), "\(html)")
        #expect(html.contains("<title>mcpkeeper monitor: 1 down</title>"), "\(html)")
    }

    @Test("an up target says since when it is up, and a target not probed yet says so")
    func upAndUnknown() {
        let board = StatusBoard(now: { now })
        board.register("later")
        board.record(probe("ok", at: -600, success: false))
        board.record(probe("ok", at: -300, success: true))
        board.record(probe("ok", at: -5, success: true))
        let html = StatusPage.html(board.page(source: "serve", refreshSeconds: 10))
        #expect(html.contains(#"data-upstream="ok" data-state="up""#), "\(html)")
        #expect(html.contains("Up since <time datetime=\"2023-11-14T22:08:20Z\""), "since is the first success after the failure: \(html)")
        #expect(html.contains(#"data-upstream="later" data-state="unknown""#), "\(html)")
        #expect(html.contains("Not probed yet."), "\(html)")
    }

    @Test("a token near its expiry without a refresh token names the login command; a refreshable one does not")
    func tokenExpiry() {
        let board = StatusBoard(now: { now })
        board.register("near")
        board.register("fine")
        let logins: (String) -> TokenStatus? = { name in
            name == "near" ? .expires(now.addingTimeInterval(600), refreshable: false) : .expires(now.addingTimeInterval(600), refreshable: true)
        }
        let html = StatusPage.html(board.page(source: "monitor", refreshSeconds: 10, token: logins))
        #expect(html.contains("Access token expires <time datetime=\"2023-11-14T22:23:20Z\" title=\"2023-11-14T22:23:20Z\">in 10 min</time>"), "\(html)")
        #expect(html.contains("mcpkeeper auth login --upstream near"), "\(html)")
        #expect(!html.contains("mcpkeeper auth login --upstream fine"), "\(html)")
        #expect(html.contains("refreshed automatically"), "\(html)")
        #expect(TokenStatus.expires(now.addingTimeInterval(-1), refreshable: true).needsLogin(now: now), "an expired token needs a login")
        #expect(!TokenStatus.expires(nil, refreshable: false).needsLogin(now: now))
    }

    @Test("a login read from the token store shows its expiry and never the token")
    func tokenFromStore() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("status-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = TokenStore(directory: dir)
        var tokens = OAuthTokens(clientID: "client-1", tokenEndpoint: "http://127.0.0.1:1/token", accessToken: "at-secret-123")
        tokens.refreshToken = "rt-secret-456"
        tokens.expiresAt = now.addingTimeInterval(7200)
        try store.save(tokens, for: "hosted")
        let board = StatusBoard(now: { now })
        board.register("hosted")
        board.register("nobody")
        let html = StatusPage.html(board.page(source: "monitor", refreshSeconds: 10) { TokenStatus.read(from: store, upstream: $0) })
        #expect(html.contains("in 2 h 0 min"), "\(html)")
        #expect(html.contains("Not logged in."), "\(html)")
        #expect(html.contains("mcpkeeper auth login --upstream nobody"), "\(html)")
        for secret in ["at-secret-123", "rt-secret-456", "client-1"] {
            #expect(!html.contains(secret), "\(secret) is on the page")
        }
    }

    @Test("rate limits and retries count only the last hour")
    func lastHour() {
        let clock = BoardClock()
        let board = StatusBoard(now: clock.read)
        board.rateLimited("u")
        board.retry("u")
        board.retry("u")
        clock.advance(61 * 60)
        board.retry("u")
        var rateLimited = probe("u", at: 61 * 60, success: false)
        rateLimited.notionErrorCode = "rate_limited"
        board.record(rateLimited)
        let status = board.snapshot().upstreams[0]
        #expect(status.rateLimitsLastHour == 1, "the hour-old one is gone, the probe's counts")
        #expect(status.retriesLastHour == 1)
        let html = StatusPage.html(board.page(source: "serve", refreshSeconds: 10))
        #expect(html.contains(#"Rate limits: <b class="rate-limits">1</b> · Retries: <b class="retries">1</b>"#), "\(html)")
    }

    @Test("histories stay a fixed size however many probes, errors and tool changes arrive")
    func bounded() {
        let board = StatusBoard(now: { now })
        for index in 0..<500 {
            var result = probe("u", at: Double(index), success: false, failure: String(repeating: "x", count: 5000))
            result.toolSurfaceChanged = true
            board.record(result)
        }
        for index in 0..<200 { board.register("extra-\(index)") }
        let snapshot = board.snapshot()
        let status = snapshot.upstreams[0]
        #expect(status.probes.count == StatusBoard.probeCapacity)
        #expect(status.probes.last?.startedAt == now.addingTimeInterval(499), "the newest are kept")
        #expect(status.errors.count == StatusBoard.errorCapacity)
        #expect(status.toolChanges.count == StatusBoard.changeCapacity)
        #expect((status.errors.last?.message.count ?? 0) <= StatusBoard.textLimit + 1)
        #expect(snapshot.upstreams.count == StatusBoard.upstreamCapacity)
    }

    @Test("a tool-surface change is listed with the tool count")
    func toolChanges() {
        let board = StatusBoard(now: { now })
        var changed = probe("u", at: -45, success: true)
        changed.toolSurfaceChanged = true
        changed.toolCount = 17
        changed.toolSurfaceHash = "abcdef0123456789"
        board.record(changed)
        let html = StatusPage.html(board.page(source: "monitor", refreshSeconds: 10))
        #expect(html.contains("the tool list changed; now 17 tools (<code>abcdef012345</code>)"), "\(html)")
    }

    @Test("a WARNING probe's reasons are listed, such as tools held back by quarantine")
    func warningsListed() {
        let board = StatusBoard(now: { now })
        var warned = probe("u", at: -30, success: true)
        warned.warnings = ["1 tool held back by tools.quarantine until approved (API-get-self); review with: mcpkeeper tools diff --upstream u"]
        board.record(warned)
        let html = StatusPage.html(board.page(source: "monitor", refreshSeconds: 10))
        #expect(html.contains("<span class=\"phase\">warning</span>: <span class=\"message\">1 tool held back by tools.quarantine"), "\(html)")
    }

    @Test("the fixed ring keeps the newest elements in order")
    func ring() {
        var ring = FixedRing<Int>(capacity: 3)
        for value in 1...7 { ring.append(value) }
        #expect(ring.elements == [5, 6, 7])
        #expect(ring.last == 7)
    }
}
