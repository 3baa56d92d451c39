import Foundation

/// Writes one request-log line per client request once its reply is known.
public struct LoggingStage: Stage {
    public let log: RequestLog
    private let clock: @Sendable () -> Date

    public init(log: RequestLog, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.log = log
        self.clock = clock
    }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        let reply: Reply
        do {
            reply = try await next(exchange)
        } catch {
            log.record(record(exchange, outcome: "cancelled"))
            throw error
        }
        var entry = record(exchange, outcome: reply.outcomeLabel)
        entry.attempts = reply.attempts
        entry.retryWait = reply.retryWait
        entry.httpStatus = reply.httpStatus
        entry.validationErrors = reply.validationErrors
        switch reply.outcome {
        case .upstream(let response):
            entry.bytesOut = response.bytes.count
            if case .errorResponse(_, let error) = response.kind {
                entry.errorCode = error.code
                entry.responseBody = response.body["error"]
            } else if log.settings.includeBodies {
                entry.responseBody = response.result
            }
        case .proxy(let error, _):
            entry.errorCode = error.code
            entry.responseBody = error.json
        }
        log.record(entry)
        return reply
    }

    private func record(_ exchange: Exchange, outcome: String) -> ExchangeRecord {
        var entry = ExchangeRecord(timestamp: clock(), session: exchange.session, upstream: exchange.upstream,
                                   direction: .clientToUpstream, method: exchange.method, outcome: outcome)
        entry.tool = exchange.tool
        entry.id = exchange.clientID
        entry.latency = ContinuousClock.now - exchange.receivedAt
        entry.bytesIn = exchange.message.bytes.count
        if log.settings.includeBodies { entry.requestBody = exchange.message.params }
        return entry
    }
}
