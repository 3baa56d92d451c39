import Foundation
import Logging

/// One client linked to one upstream: decodes what each side sends, remaps request ids, runs client
/// requests through the pipeline, and routes every answer back to whoever asked. The client keeps
/// this one session while the upstream underneath is restarted or reconnected (see `+Continuity`).
///
/// Requests from the client get proxy-assigned upstream ids (so the proxy can issue requests of its
/// own, and re-send after a reconnect, without collisions); server-initiated requests get
/// proxy-assigned client-side ids the same way.
///
/// Protocol eras are not its concern: `eras` learns each link's era and picks the `EraAdapter`
/// that everything crossing the link goes through.
public actor ProxySession: UpstreamRequester {
    public typealias Settings = SessionSettings

    /// Why `run` returned.
    public enum End: Sendable, Equatable {
        /// The client closed its input or a stop was requested; the upstream was shut down.
        case clientClosed(upstream: String)
        /// The upstream ended and no reconnection was possible (no way to connect was given).
        case upstreamEnded(String)
    }

    /// Opens a new link to the upstream; nil when the session may not reconnect.
    public typealias Connector = @Sendable () throws -> any UpstreamLink

    let settings: Settings
    let downstream: any MessageChannel
    let pipeline: Pipeline
    let recorder: SessionRecorder
    let logger: Logger
    let connector: Connector?
    let metrics: KeeperMetrics
    let clock: any StageClock
    let random: any RandomSource

    let tools = ToolCatalog()
    var toUpstream = UpstreamRequests()
    var toClient = IDMap<PendingClientAnswer>()
    var inFlight: [RequestID: InFlightRequest] = [:]
    var link: LinkState
    var generation = 0
    var linkWaiters: [CheckedContinuation<(any UpstreamLink, Int)?, Never>] = []
    var shutdown: Task<String, Never>?
    /// The client's `initialize` params and whether it sent `notifications/initialized`: replayed on
    /// every new link, so the upstream sees the same client each time.
    var handshake: (params: JSONValue?, initialized: Bool)?
    let eras = EraNegotiation()
    lazy var circuit = UpstreamCircuit(threshold: settings.circuitThreshold)
    /// The reconnection under way, cancelled by `stop()` so a stop never waits out a backoff.
    var reconnecting: Task<LivePump?, Never>?
    /// How each link ended, by generation, as its pump saw it (before any shutdown of ours).
    var linkEnds: [Int: String] = [:]
    /// Client batches whose answers are still being collected.
    var batches = ClientBatches()

    public init(settings: Settings, downstream: any MessageChannel, upstream: any UpstreamLink,
                pipeline: Pipeline, log: RequestLog?, logger: Logger, connector: Connector? = nil,
                metrics: KeeperMetrics = KeeperMetrics(), clock: any StageClock = SystemStageClock(),
                random: any RandomSource = SystemRandomSource()) {
        self.settings = settings
        self.downstream = downstream
        self.pipeline = pipeline
        self.recorder = SessionRecorder(log: log, session: settings.sessionID, upstream: settings.upstreamName)
        self.logger = logger
        self.connector = connector
        self.metrics = metrics
        self.clock = clock
        self.random = random
        self.link = .up(upstream, generation: 0, since: clock.now)
        metrics.upstreamUp(upstream: settings.upstreamName, true)
    }

    /// Runs until the client closes its side (or `stop()`); the upstream is reconnected whenever it
    /// dies in between. Without a connector, a dead upstream ends the session.
    public func run() async -> End {
        let clientPump = Task(executorPreference: settings.executor) { await self.pumpDownstream() }
        let watchdog = Task { await watchDeadlines() }
        defer {
            clientPump.cancel()
            watchdog.cancel()
        }
        var current = currentLink.map { link in LivePump(link: link.0, generation: link.1, pump: pump(link.0, generation: link.1)) }
        while let live = current {
            let (upstream, linkGeneration) = (live.link, live.generation)
            await live.pump.value
            linkEnds[linkGeneration] = nil
            if let shutdown {
                let reason = await shutdown.value
                await endSession(reason)
                return .clientClosed(upstream: reason)
            }
            let reason = await upstream.endDescription()
            linkLost(linkGeneration, reason: reason)
            guard connector != nil else {
                logger.error("upstream ended", metadata: ["upstream": "\(settings.upstreamName)", "reason": "\(reason)"])
                await endSession(reason)
                return .upstreamEnded(reason)
            }
            let attempt = Task { await reconnect(after: reason, from: upstream) }
            reconnecting = attempt
            current = await attempt.value
            reconnecting = nil
        }
        let reason = await shutdown?.value ?? "stopped"
        await endSession(reason)
        return .clientClosed(upstream: reason)
    }

    /// Shuts down gracefully: requests already received are answered first (a client may write its
    /// requests and close its input at once), then the upstream gets EOF, then signals; `run`
    /// returns once it is down.
    public func stop() {
        guard shutdown == nil else { return }
        shutdown = Task { await finishThenClose() }
        reconnecting?.cancel()
        // Requests waiting for a link that is not there will not get one.
        if link.upstream == nil { releaseLinkWaiters() }
    }

    func releaseLinkWaiters() {
        linkWaiters.forEach { $0.resume(returning: nil) }
        linkWaiters.removeAll()
    }

    private func finishThenClose() async -> String {
        await eras.endSubscriptions(session: self)
        let deadline = clock.now + settings.drainTimeout
        while !inFlight.isEmpty, clock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        let upstream = link.upstream
        link = .stopped
        releaseLinkWaiters()
        return await upstream?.shutdown(grace: settings.shutdownGrace) ?? "stopped while reconnecting"
    }

    /// Answers every request still waiting on the upstream, and waits until the client has them.
    private func endSession(_ reason: String) async {
        linkLost(generation, reason: reason)
        for request in inFlight.values { await request.task.value }
    }

    /// A request of the proxy's own, ready for the upstream (which gives it an id of its own when sent);
    /// `protocolVersion` is the modern version its `_meta` declares, if it declares one.
    func ownExchange(_ method: String, params: JSONValue?, id: RequestID = RequestID(0),
                     protocolVersion: MCPProtocolVersion? = nil) -> Exchange {
        Exchange(message: .request(id: id, method: method, params: params), clientID: id, method: method, session: settings.sessionID,
                 upstream: settings.upstreamName, receivedAt: .now, context: context, protocolVersion: protocolVersion)
    }

    /// The stages' view of this session. Built per exchange, so the session holds no reference to itself.
    var context: SessionContext {
        SessionContext(upstream: self, tools: tools, upstreamName: settings.upstreamName)
    }

    // MARK: client -> upstream

    private func pumpDownstream() async {
        for await event in downstream.inbound {
            switch event {
            case .line(let bytes): await handleFromClient(bytes)
            case .message(let message): await handleFromClient(message)
            case .request(let paired): await handleFromClient(paired.message, pair: paired)
            case .oversized(let count):
                await answerClient(.error(id: nil, .invalidRequest("message of \(count) bytes exceeds the line limit and was discarded")))
            }
        }
        if !Task.isCancelled { stop() }
    }

    func handleFromClient(_ bytes: [UInt8]) async {
        if JSONRPCBatch.isBatch(bytes) { return await handleBatch(bytes) }
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.decode(bytes)
        } catch {
            logger.warning("rejected a malformed message from the client", metadata: ["reason": "\(error.error.message)"])
            recorder.rejected(bytes: bytes.count, error: error.error)
            await answerClient(.error(id: error.id, error.error))
            return
        }
        await handleFromClient(message)
    }

    private func handleBatch(_ bytes: [UInt8]) async {
        let requested = handshake?.params?["protocolVersion"]?.stringValue.flatMap(MCPProtocolVersion.init)
        switch batches.open(bytes, initialized: handshake?.initialized == true, negotiated: tools.negotiatedVersion, requested: requested) {
        case .refused(let answers): for answer in answers { await answerClient(answer) }
        case .members(let members): for member in members { await handleFromClient(member) }
        }
    }

    /// `pair` is the request's own way back and its headers, when its transport gave it one.
    func handleFromClient(_ message: JSONRPCMessage, pair: PairedRequest? = nil) async {
        switch message.kind {
        case .request(let id, let method):
            // The request's era is decided here, once: it rides on the exchange from now on.
            switch eras.admit(message, id: id) {
            case .refused(let answer): await answerClient(answer, via: pair?.reply)
            case .admitted(let version):
                if version == nil, method == "initialize" { handshake = (message.params, false) }
                startExchange(message, id: id, method: method, protocolVersion: version, pair: pair)
            }
        case .notification(let method):
            if method == "notifications/initialized" {
                handshake?.initialized = true
                await eras.clientInitialized(message, session: self)
                return
            }
            await forwardClientNotification(message, method: method)
        case .response(let id), .errorResponse(.some(let id), _):
            await answerServerRequest(message, downstreamID: id)
        case .errorResponse(nil, let error):
            logger.warning("client sent an error without an id", metadata: ["code": "\(error.code)", "message": "\(error.message)"])
        }
    }

    private func startExchange(_ message: JSONRPCMessage, id: RequestID, method: String, protocolVersion: MCPProtocolVersion?,
                               pair: PairedRequest?) {
        let refusal: JSONRPCError? = if inFlight[id] != nil {
            .invalidRequest("id \(id) is already used by a request in flight; use a new id per request")
        } else if inFlight.count >= settings.maxInFlight {
            UpstreamFailure.tooManyInFlight(inFlight.count, upstream: settings.upstreamName)
        } else {
            nil
        }
        if let refusal {
            Task { await answerClient(.error(id: id, refusal), via: pair?.reply) }
            return
        }
        var exchange = Exchange(message: message, clientID: id, method: method, session: settings.sessionID,
                                upstream: settings.upstreamName, receivedAt: .now, context: context, protocolVersion: protocolVersion)
        exchange.headers = pair?.headers ?? [:]
        let task = Task(executorPreference: settings.executor) { [exchange] in await self.runExchange(exchange) }
        inFlight[id] = InFlightRequest(task: task, upstreamID: nil, isSubscription: method == "subscriptions/listen", reply: pair?.reply)
    }

    private func runExchange(_ exchange: Exchange) async {
        let reply: Reply
        do {
            reply = try await pipeline.run(exchange) { [self] in try await forward($0, for: exchange.clientID) }
        } catch {
            inFlight[exchange.clientID] = nil
            return
        }
        let route = inFlight.removeValue(forKey: exchange.clientID)?.reply
        switch reply.outcome {
        case .upstream(let response): await answerClient(response.withID(exchange.clientID), via: route)
        case .proxy(let error, _): await answerClient(.error(id: exchange.clientID, error), via: route)
        }
    }

    /// A request of the proxy's own (its tool list, a ping): the same path to the upstream as a
    /// client's, through the stages that face the upstream (pacing, retry) and not the client's.
    public func request(_ method: String, params: JSONValue?) async throws -> JSONRPCMessage {
        let exchange = eras.speakingForClient(ownExchange(method, params: params))
        let reply = try await runOwn(exchange) { [self] in try await forward($0, for: nil) }
        switch reply.outcome {
        case .upstream(let response): return response
        case .proxy(let error, _): throw error
        }
    }

    func forwardClientNotification(_ message: JSONRPCMessage, method: String) async {
        var outgoing = message
        if method == "notifications/cancelled", let clientID = message.params?["requestId"].flatMap(RequestID.init) {
            guard let request = inFlight[clientID] else { return }
            request.task.cancel()
            guard let upstreamID = request.upstreamID else { return }
            outgoing = message.replacingParam("requestId", with: upstreamID.json)
        }
        try? await link.upstream?.send(outgoing)
        recorder.notification(outgoing, direction: .clientToUpstream)
    }

    private func answerServerRequest(_ message: JSONRPCMessage, downstreamID: RequestID) async {
        guard let pending = toClient.take(downstreamID) else {
            logger.warning("client answered a request the proxy did not send (or one from an upstream since replaced)",
                           metadata: ["id": "\(downstreamID)"])
            return
        }
        if let bridge = pending.bridge { return bridge.resume(returning: message) }
        guard pending.generation == generation else { return }
        try? await link.upstream?.send(message.withID(pending.upstreamID))
        recorder.clientAnswer(message, to: pending)
    }

    /// Asks the client something on the proxy's own behalf (a bridge relaying an upstream's question)
    /// and waits for its answer, whichever link is up by then.
    func askClient(_ method: String, params: JSONValue?) async -> JSONRPCMessage {
        await withCheckedContinuation { continuation in
            let id = toClient.allocate(PendingClientAnswer(upstreamID: RequestID(0), method: method, generation: -1, sentAt: .now,
                                                           bridge: continuation))
            Task { await answerClient(.request(id: id, method: method, params: params)) }
        }
    }

    /// Tells the upstream to stop working on a request of the proxy's own, if it is still waiting.
    func cancelOwnRequest(_ ownID: RequestID) async {
        guard let id = toUpstream.upstreamID(serving: ownID) else { return }
        try? await link.upstream?.send(.notification(method: "notifications/cancelled", params: ["requestId": id.json]))
    }

    // MARK: helpers

    /// Sends to the client: through `route` when the answer has its request's own way back, else
    /// through the client channel.
    func answerClient(_ message: JSONRPCMessage, via route: AnswerRoute? = nil) async {
        // An upstream's error can echo the credentials it was sent; the client never sees them.
        var message = message
        if case .errorResponse = message.kind { message = SecretScrubber.shared.scrub(message) }
        if let route { return route.answer(message) }
        do {
            switch batches.collect(message) {
            case .single: try await downstream.send(message)
            case .held: return
            case .complete(let answers): try await downstream.send(batch: answers)
            }
        } catch {
            logger.debug("client output closed; message dropped")
        }
    }
}
