import Foundation
import Logging

/// One client linked to one upstream: decodes what each side sends, remaps request ids, runs client
/// requests through the pipeline, and routes every answer back to whoever asked.
///
/// Requests from the client get proxy-assigned upstream ids (so the proxy can later issue requests of
/// its own without collisions); server-initiated requests get proxy-assigned client-side ids the same way.
public actor ProxySession: UpstreamRequester {
    public struct Settings: Sendable {
        public var sessionID: String
        public var upstreamName: String
        public var shutdownGrace: Duration

        public init(sessionID: String, upstreamName: String, shutdownGrace: Duration = .seconds(2)) {
            self.sessionID = sessionID
            self.upstreamName = upstreamName
            self.shutdownGrace = shutdownGrace
        }
    }

    /// Why `run` returned.
    public enum End: Sendable, Equatable {
        /// The client closed its input or a stop was requested; the upstream was shut down.
        case clientClosed(upstream: String)
        /// The upstream ended on its own (crash, exit).
        case upstreamEnded(String)
    }

    let settings: Settings
    let downstream: any MessageChannel
    let upstream: any UpstreamLink
    let pipeline: Pipeline
    let log: RequestLog?
    let logger: Logger

    let tools = ToolCatalog()
    var toUpstream = IDMap<PendingUpstream>()
    var toClient = IDMap<PendingClientAnswer>()
    var inFlight: [RequestID: InFlightRequest] = [:]
    var upstreamEnd: String?
    var shutdown: Task<String, Never>?

    public init(settings: Settings, downstream: any MessageChannel, upstream: any UpstreamLink,
                pipeline: Pipeline, log: RequestLog?, logger: Logger) {
        self.settings = settings
        self.downstream = downstream
        self.upstream = upstream
        self.pipeline = pipeline
        self.log = log
        self.logger = logger
    }

    /// Runs until the upstream's output closes: after the client's EOF or `stop()` (a clean shutdown),
    /// or when the upstream dies (every request still waiting gets an error saying what is known).
    public func run() async -> End {
        let clientPump = Task { await pumpDownstream() }
        await pumpUpstream()
        clientPump.cancel()
        if let shutdown {
            let reason = await shutdown.value
            await endUpstream(reason)
            return .clientClosed(upstream: reason)
        }
        let reason = await upstream.endDescription()
        logger.error("upstream ended", metadata: ["upstream": "\(settings.upstreamName)", "reason": "\(reason)"])
        await endUpstream(reason)
        return .upstreamEnded(reason)
    }

    /// Shuts the upstream down gracefully (EOF, then signals); `run` returns once it has.
    public func stop() {
        guard shutdown == nil else { return }
        let grace = settings.shutdownGrace
        let upstream = self.upstream
        shutdown = Task { await upstream.shutdown(grace: grace) }
    }

    /// Answers every request still waiting on the upstream, and waits until the client has them.
    private func endUpstream(_ reason: String) async {
        upstreamEnd = reason
        failAllPending(reason: reason)
        for request in inFlight.values { await request.task.value }
    }

    // MARK: client -> upstream

    private func pumpDownstream() async {
        for await event in downstream.inbound {
            switch event {
            case .line(let bytes): await handleFromClient(bytes)
            case .oversized(let count):
                await answerClient(.error(id: nil, .invalidRequest("message of \(count) bytes exceeds the line limit and was discarded")))
            }
        }
        if !Task.isCancelled { stop() }
    }

    private func handleFromClient(_ bytes: [UInt8]) async {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.decode(bytes)
        } catch {
            logger.warning("rejected a malformed message from the client", metadata: ["reason": "\(error.error.message)"])
            recordRejected(bytes: bytes.count, error: error.error)
            await answerClient(.error(id: error.id, error.error))
            return
        }
        switch message.kind {
        case .request(let id, let method):
            startExchange(message, id: id, method: method)
        case .notification(let method):
            await forwardClientNotification(message, method: method)
        case .response(let id), .errorResponse(.some(let id), _):
            await answerServerRequest(message, downstreamID: id)
        case .errorResponse(nil, let error):
            logger.warning("client sent an error without an id", metadata: ["code": "\(error.code)", "message": "\(error.message)"])
        }
    }

    private func startExchange(_ message: JSONRPCMessage, id: RequestID, method: String) {
        let exchange = Exchange(message: message, clientID: id, method: method, session: settings.sessionID,
                                upstream: settings.upstreamName, receivedAt: .now, context: context)
        guard inFlight[id] == nil else {
            let error = JSONRPCError.invalidRequest("id \(id) is already used by a request in flight; use a new id per request")
            Task { await answerClient(.error(id: id, error)) }
            return
        }
        let task = Task { await runExchange(exchange) }
        inFlight[id] = InFlightRequest(task: task, upstreamID: nil)
    }

    private func runExchange(_ exchange: Exchange) async {
        let reply: Reply
        do {
            reply = try await pipeline.run(exchange) { [self] in try await forward($0, for: exchange.clientID) }
        } catch {
            inFlight[exchange.clientID] = nil
            return
        }
        inFlight[exchange.clientID] = nil
        switch reply.outcome {
        case .upstream(let response): await answerClient(response.withID(exchange.clientID))
        case .proxy(let error, _): await answerClient(.error(id: exchange.clientID, error))
        }
    }

    /// The stages' view of this session. Built per exchange, so the session holds no reference to itself.
    private var context: SessionContext {
        SessionContext(upstream: self, tools: tools, upstreamName: settings.upstreamName)
    }

    /// A request of the proxy's own (its tool list, a ping): the same path to the upstream as a
    /// client's, without the client-facing stages.
    public func request(_ method: String, params: JSONValue?) async throws -> JSONRPCMessage {
        let message = JSONRPCMessage.request(id: RequestID(0), method: method, params: params)
        let exchange = Exchange(message: message, clientID: RequestID(0), method: method, session: settings.sessionID,
                                upstream: settings.upstreamName, receivedAt: .now, context: context)
        switch try await forward(exchange, for: nil).outcome {
        case .upstream(let response): return response
        case .proxy(let error, _): throw error
        }
    }

    /// The pipeline's last step: send to the upstream under a fresh id and wait for its answer.
    /// `clientID` names the client request this serves, so a cancellation can follow it upstream.
    private func forward(_ exchange: Exchange, for clientID: RequestID?) async throws -> Reply {
        if let upstreamEnd {
            return Reply(.proxy(UpstreamFailure.notSent(upstream: settings.upstreamName, reason: upstreamEnd,
                                                        method: exchange.method, tool: exchange.tool), outcome: "failed"))
        }
        let upstreamID = toUpstream.allocate(PendingUpstream(exchange: exchange, state: .sending))
        if let clientID { inFlight[clientID]?.upstreamID = upstreamID }
        do {
            try await upstream.send(exchange.message.withID(upstreamID))
        } catch {
            _ = toUpstream.take(upstreamID)
            var reply = Reply(.proxy(UpstreamFailure.delivery(error, upstream: settings.upstreamName,
                                                              method: exchange.method, tool: exchange.tool), outcome: "failed"))
            reply.httpStatus = error.httpStatus
            reply.transportError = error
            return reply
        }
        return try await withTaskCancellationHandler {
            try await awaitReply(upstreamID)
        } onCancel: {
            Task { await self.abandon(upstreamID) }
        }
    }

    private func awaitReply(_ upstreamID: RequestID) async throws -> Reply {
        try await withCheckedThrowingContinuation { continuation in
            guard var pending = toUpstream.peek(upstreamID) else {
                continuation.resume(throwing: CancellationError())
                return
            }
            switch pending.state {
            case .settled(let reply):
                _ = toUpstream.take(upstreamID)
                continuation.resume(returning: reply)
            case .sending, .waiting:
                pending.state = .waiting(continuation)
                toUpstream.update(upstreamID, pending)
            }
        }
    }

    private func abandon(_ upstreamID: RequestID) {
        if case .waiting(let continuation) = toUpstream.take(upstreamID)?.state {
            continuation.resume(throwing: CancellationError())
        }
    }

    private func forwardClientNotification(_ message: JSONRPCMessage, method: String) async {
        var outgoing = message
        if method == "notifications/cancelled", let clientID = message.params?["requestId"].flatMap(RequestID.init) {
            guard let request = inFlight[clientID] else { return }
            request.task.cancel()
            guard let upstreamID = request.upstreamID else { return }
            outgoing = message.replacingParam("requestId", with: upstreamID.json)
        }
        try? await upstream.send(outgoing)
        recordNotification(outgoing, direction: .clientToUpstream)
    }

    private func answerServerRequest(_ message: JSONRPCMessage, downstreamID: RequestID) async {
        guard let pending = toClient.take(downstreamID) else {
            logger.warning("client answered a request the proxy did not send", metadata: ["id": "\(downstreamID)"])
            return
        }
        try? await upstream.send(message.withID(pending.upstreamID))
        var entry = ExchangeRecord(timestamp: Date(), session: settings.sessionID, upstream: settings.upstreamName,
                                   direction: .upstreamToClient, method: pending.method, outcome: "ok")
        entry.id = pending.upstreamID
        entry.latency = ContinuousClock.now - pending.sentAt
        entry.bytesIn = message.bytes.count
        if case .errorResponse(_, let error) = message.kind {
            entry.outcome = "error"
            entry.errorCode = error.code
        }
        log?.record(entry)
    }

    // MARK: upstream -> client

    private func pumpUpstream() async {
        for await event in upstream.inbound {
            switch event {
            case .line(let bytes): await handleFromUpstream(bytes)
            case .oversized(let count):
                logger.error("upstream sent a message over the line limit; discarded", metadata: ["bytes": "\(count)"])
            }
        }
    }

    private func handleFromUpstream(_ bytes: [UInt8]) async {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.decode(bytes)
        } catch {
            logger.error("upstream sent a malformed message; not forwarded",
                         metadata: ["upstream": "\(settings.upstreamName)", "reason": "\(error.error.message)"])
            return
        }
        switch message.kind {
        case .response(let id), .errorResponse(.some(let id), _):
            deliverUpstreamResponse(message, id: id)
        case .errorResponse(nil, let error):
            logger.error("upstream reported an error without an id",
                         metadata: ["code": "\(error.code)", "message": "\(error.message)"])
        case .request(let id, let method):
            let downstreamID = toClient.allocate(PendingClientAnswer(upstreamID: id, method: method, sentAt: .now))
            await answerClient(message.withID(downstreamID))
        case .notification(let method):
            if method == "notifications/tools/list_changed" { tools.markStale() }
            var outgoing = message
            if method == "notifications/cancelled", let upstreamID = message.params?["requestId"].flatMap(RequestID.init) {
                guard let downstreamID = toClient.take(where: { $0.upstreamID == upstreamID }) else { return }
                outgoing = message.replacingParam("requestId", with: downstreamID.json)
            }
            await answerClient(outgoing)
            recordNotification(outgoing, direction: .upstreamToClient)
        }
    }

    private func deliverUpstreamResponse(_ message: JSONRPCMessage, id: RequestID) {
        guard toUpstream.peek(id) != nil else {
            logger.debug("dropped a response to a request no longer waiting", metadata: ["id": "\(id)"])
            return
        }
        settle(id, Reply(.upstream(message)))
    }

    /// Hands a reply to the request's waiter, or keeps it until the sender starts waiting.
    private func settle(_ id: RequestID, _ reply: Reply) {
        guard var pending = toUpstream.peek(id) else { return }
        switch pending.state {
        case .waiting(let continuation):
            _ = toUpstream.take(id)
            continuation.resume(returning: reply)
        case .sending:
            pending.state = .settled(reply)
            toUpstream.update(id, pending)
        case .settled:
            logger.warning("upstream answered the same request twice; the second answer was dropped", metadata: ["id": "\(id)"])
        }
    }

    private func failAllPending(reason: String) {
        for (id, pending) in toUpstream.all {
            let error = UpstreamFailure.outcomeUnknown(upstream: settings.upstreamName, reason: reason,
                                                       method: pending.exchange.method, tool: pending.exchange.tool)
            settle(id, Reply(.proxy(error, outcome: "failed")))
        }
        toClient = IDMap()
    }

    // MARK: helpers

    private func answerClient(_ message: JSONRPCMessage) async {
        do {
            try await downstream.send(message)
        } catch {
            logger.debug("client output closed; message dropped")
        }
    }

    private func recordNotification(_ message: JSONRPCMessage, direction: ExchangeRecord.Direction) {
        guard let log else { return }
        var entry = ExchangeRecord(timestamp: Date(), session: settings.sessionID, upstream: settings.upstreamName,
                                   direction: direction, method: message.method, outcome: "notification")
        entry.bytesIn = message.bytes.count
        log.record(entry)
    }

    private func recordRejected(bytes: Int, error: JSONRPCError) {
        guard let log else { return }
        var entry = ExchangeRecord(timestamp: Date(), session: settings.sessionID, upstream: settings.upstreamName,
                                   direction: .clientToUpstream, method: nil, outcome: "invalid")
        entry.errorCode = error.code
        entry.bytesIn = bytes
        log.record(entry)
    }
}
