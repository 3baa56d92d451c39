import Foundation
import HTTPTypes
import Hummingbird
import KeeperCore
import NIOCore
import Synchronization

/// HTTP-level faults for `mcpkeeper sandbox --listen`, all off by default: what a hosted MCP server
/// does to its clients on a bad day.
public struct SandboxHTTPFaultOptions: Sendable {
    /// Share of POSTs refused with 429 and a Retry-After.
    public var rateLimitRatio = 0.0
    /// Share of POSTs refused with 503 and a Retry-After.
    public var unavailableRatio = 0.0
    /// Retry-After in seconds, or as an HTTP-date (RFC 9110) that many seconds ahead.
    public var retryAfterSeconds = 1
    public var retryAfterAsDate = false
    /// A session answers 404 from its Nth request on (the session "expires").
    public var sessionExpiresAfter: Int?
    /// A session answers 404 once it is this old.
    public var sessionLifetime: Duration?
    /// Every `tools/call` is answered 200 with a body that is not JSON (a proxy's error page).
    public var garbageToolCalls = false
    public var seed: UInt64 = 1

    public init() {}

    public var isEmpty: Bool {
        rateLimitRatio == 0 && unavailableRatio == 0 && sessionExpiresAfter == nil && sessionLifetime == nil && !garbageToolCalls
    }
}

/// Applies `SandboxHTTPFaultOptions` to each POST, deterministically from the seed.
public final class SandboxHTTPFaults: Sendable {
    let options: SandboxHTTPFaultOptions
    private let state: Mutex<State>

    private struct State {
        var random: SplitMix64
        var requestsPerSession: [String: Int] = [:]
        var sessionStart: [String: ContinuousClock.Instant] = [:]
    }

    public init(options: SandboxHTTPFaultOptions) {
        self.options = options
        state = Mutex(State(random: SplitMix64(seed: options.seed)))
    }

    public func decide(_ message: JSONRPCMessage, session: HTTPSessionChannel?) -> StreamableHTTPServer.HookDecision? {
        let (expired, roll) = state.withLock { s -> (Bool, Double) in
            var expired = false
            if let session {
                let count = (s.requestsPerSession[session.sessionID] ?? 0) + 1
                s.requestsPerSession[session.sessionID] = count
                let start = s.sessionStart[session.sessionID] ?? .now
                s.sessionStart[session.sessionID] = start
                if let limit = options.sessionExpiresAfter, count >= limit { expired = true }
                if let lifetime = options.sessionLifetime, ContinuousClock.now - start >= lifetime { expired = true }
            }
            return (expired, Double(s.random.next() >> 11) / Double(1 << 53))
        }
        if expired { return .expireSession }
        if options.garbageToolCalls, message.method == "tools/call" {
            return .respond(Response(status: .ok, headers: [.contentType: "application/json"],
                                     body: ResponseBody(byteBuffer: ByteBuffer(string: "<html><body>502 Bad Gateway</body></html>"))))
        }
        if roll < options.rateLimitRatio { return .respond(refusal(.tooManyRequests, "rate limited")) }
        if roll < options.rateLimitRatio + options.unavailableRatio { return .respond(refusal(.serviceUnavailable, "temporarily unavailable")) }
        return nil
    }

    private func refusal(_ status: HTTPResponse.Status, _ reason: String) -> Response {
        let retryAfter = options.retryAfterAsDate
            ? Self.httpDate(Date().addingTimeInterval(TimeInterval(options.retryAfterSeconds)))
            : "\(options.retryAfterSeconds)"
        let body = Array(#"{"object":"error","status":\#(status.code),"code":"\#(status == .tooManyRequests ? "rate_limited" : "service_unavailable")","message":"Sandbox fault: \#(reason)."}"#.utf8)
        return Response(status: status, headers: [.retryAfter: retryAfter, .contentType: "application/json"],
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// RFC 9110 IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
    static func httpDate(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        return formatter.string(from: date)
    }
}
