import Foundation

/// The request-log lines a session writes itself: notifications each way, the client's answers to
/// server requests, and messages refused as malformed (client requests are logged by `LoggingStage`).
struct SessionRecorder: Sendable {
    let log: RequestLog?
    let session: String
    let upstream: String

    func notification(_ message: JSONRPCMessage, direction: ExchangeRecord.Direction) {
        guard let log else { return }
        var entry = record(direction, method: message.method, outcome: "notification")
        entry.bytesIn = message.bytes.count
        log.record(entry)
    }

    /// The client's answer to a server request, on its way back upstream under `upstreamID`.
    func clientAnswer(_ message: JSONRPCMessage, to pending: PendingClientAnswer) {
        guard let log else { return }
        var entry = record(.upstreamToClient, method: pending.method, outcome: "ok")
        entry.id = pending.upstreamID
        entry.latency = ContinuousClock.now - pending.sentAt
        entry.bytesIn = message.bytes.count
        if case .errorResponse(_, let error) = message.kind {
            entry.outcome = "error"
            entry.errorCode = error.code
        }
        log.record(entry)
    }

    func rejected(bytes: Int, error: JSONRPCError) {
        guard let log else { return }
        var entry = record(.clientToUpstream, method: nil, outcome: "invalid")
        entry.errorCode = error.code
        entry.bytesIn = bytes
        log.record(entry)
    }

    private func record(_ direction: ExchangeRecord.Direction, method: String?, outcome: String) -> ExchangeRecord {
        ExchangeRecord(timestamp: Date(), session: session, upstream: upstream, direction: direction, method: method, outcome: outcome)
    }
}
