import Foundation

/// One line of the request log: what crossed the proxy, how it ended, and how long it took.
public struct ExchangeRecord: Sendable {
    /// Which way the exchange went.
    public enum Direction: String, Sendable {
        /// A client request or notification sent to the upstream.
        case clientToUpstream = "client_to_upstream"
        /// A server-initiated request or notification sent to the client.
        case upstreamToClient = "upstream_to_client"
    }

    public var timestamp: Date
    public var session: String
    public var upstream: String
    public var direction: Direction
    public var method: String?
    public var tool: String?
    public var id: RequestID?
    /// ok, error (a JSON-RPC error from the upstream), rejected (answered by the proxy),
    /// failed (upstream gone), cancelled, notification, invalid.
    public var outcome: String
    public var errorCode: Int?
    public var httpStatus: Int?
    public var attempts: Int = 1
    public var retryWait: Duration = .zero
    public var latency: Duration = .zero
    public var bytesIn: Int = 0
    public var bytesOut: Int = 0
    public var validationErrors: [String] = []
    /// Set only when the log is configured with `bodies: true`; redacted before writing.
    public var requestBody: JSONValue?
    public var responseBody: JSONValue?

    public init(timestamp: Date, session: String, upstream: String, direction: Direction, method: String?, outcome: String) {
        self.timestamp = timestamp
        self.session = session
        self.upstream = upstream
        self.direction = direction
        self.method = method
        self.outcome = outcome
    }

    public var json: JSONValue {
        var o: JSONObject = [
            "ts": .string(timestamp.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))),
            "session": .string(session),
            "upstream": .string(upstream),
            "direction": .string(direction.rawValue),
        ]
        o["method"] = method.map(JSONValue.string)
        o["tool"] = tool.map(JSONValue.string)
        o["id"] = id?.json
        o["outcome"] = .string(outcome)
        o["error_code"] = errorCode.map { .number(JSONNumber($0)) }
        o["http_status"] = httpStatus.map { .number(JSONNumber($0)) }
        o["attempts"] = .number(JSONNumber(attempts))
        o["retry_wait_ms"] = .number(JSONNumber(retryWait.milliseconds))
        o["latency_ms"] = .number(JSONNumber(latency.milliseconds))
        o["bytes_in"] = .number(JSONNumber(bytesIn))
        o["bytes_out"] = .number(JSONNumber(bytesOut))
        if !validationErrors.isEmpty { o["validation_errors"] = .array(validationErrors.map(JSONValue.string)) }
        o["request"] = requestBody.map(Redactor.redact)
        o["response"] = responseBody.map(Redactor.redact)
        return .object(o)
    }
}

extension Duration {
    /// Milliseconds with microsecond precision, for logs.
    public var milliseconds: Double {
        let (seconds, attoseconds) = components
        let micros = Double(seconds) * 1_000_000 + Double(attoseconds / 1_000_000_000_000)
        return micros / 1000
    }
}
