import Foundation

/// The circuit breaker in front of an upstream that keeps failing to start. While closed, requests
/// wait for the next link; after `threshold` failed starts in a row it opens: every request is
/// answered at once with since when, the last failure and when the next attempt is, while restarts
/// go on with capped backoff. A failure no restart can cure (a missing command) opens it for good:
/// no more attempts until the setup changes and the client starts the server again.
struct UpstreamCircuit: Sendable {
    let threshold: Int
    private(set) var failures = 0
    private(set) var openedAt: Date?
    private(set) var lastFailure = ""
    private(set) var nextAttempt: ContinuousClock.Instant?
    private(set) var needsAPerson = false

    init(threshold: Int) { self.threshold = threshold }

    var isOpen: Bool { needsAPerson || failures >= threshold }

    mutating func failed(_ reason: String, at date: Date, needsAPerson: Bool) {
        failures += 1
        lastFailure = reason
        self.needsAPerson = self.needsAPerson || needsAPerson
        if isOpen, openedAt == nil { openedAt = date }
    }

    mutating func scheduled(_ attempt: ContinuousClock.Instant) { nextAttempt = attempt }

    mutating func reset() { self = UpstreamCircuit(threshold: threshold) }

    /// Why a request is answered at once, for the error the client gets.
    func refusal(upstream: String, now: ContinuousClock.Instant) -> String {
        let since = openedAt.map { " since \(ISO8601DateFormatter().string(from: $0))" } ?? ""
        if needsAPerson {
            return "upstream '\(upstream)' cannot be started\(since): \(lastFailure). mcpkeeper will not try again until it is restarted"
        }
        var text = "upstream '\(upstream)' is down\(since) after \(failures) failed starts; last: \(lastFailure)"
        if let nextAttempt {
            let seconds = max(0, Double((nextAttempt - now).components.seconds))
            text += "; next attempt in \(Int(seconds.rounded(.up))) s"
        }
        return text
    }
}
