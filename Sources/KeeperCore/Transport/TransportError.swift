/// Why a message could not be delivered to a peer, in terms the proxy can act on: whether the peer
/// saw the message at all, and what it said (status, Retry-After) when it refused.
public enum TransportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The peer's end is gone (EPIPE, process exited, session deleted); the message was not delivered.
    case closed(String)
    /// The connection could not be made; the message was not delivered.
    case connectFailed(String)
    /// The connection broke after the message was sent: the peer may or may not have acted on it.
    case connectionLost(String)
    /// The peer answered with an HTTP error status instead of taking the message.
    case httpStatus(Int, retryAfter: String?, detail: String)
    /// The upstream no longer knows our session (HTTP 404 on `Mcp-Session-Id`): re-initialize.
    case sessionExpired
    /// No answer in time; `phase` says where it stuck (connect, response headers, response body).
    case timedOut(phase: String)

    public var description: String {
        switch self {
        case .closed(let name): return "\(name) is closed"
        case .connectFailed(let reason): return "cannot connect: \(reason)"
        case .connectionLost(let reason): return "the connection broke after sending: \(reason)"
        case .httpStatus(let status, let retryAfter, let detail):
            let wait = retryAfter.map { " (Retry-After: \($0))" } ?? ""
            return "HTTP \(status)\(wait)\(detail.isEmpty ? "" : ": \(detail)")"
        case .sessionExpired: return "the upstream session expired (HTTP 404 on Mcp-Session-Id)"
        case .timedOut(let phase): return "timed out waiting for \(phase)"
        }
    }

    /// The HTTP status the peer answered with, for logs and the retry policy.
    public var httpStatus: Int? {
        switch self {
        case .httpStatus(let status, _, _): return status
        case .sessionExpired: return 404
        default: return nil
        }
    }

    /// Whether the peer certainly did not act on the message, so sending it again cannot duplicate it.
    public var messageWasNotProcessed: Bool {
        switch self {
        case .closed, .connectFailed, .sessionExpired: return true
        case .connectionLost: return false
        case .httpStatus(let status, _, _): return status == 429 || status == 503 || (400..<500).contains(status)
        case .timedOut(let phase): return phase == "connect"
        }
    }
}
