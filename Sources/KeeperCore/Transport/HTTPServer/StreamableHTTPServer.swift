import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// An MCP Streamable HTTP endpoint (`POST`/`GET`/`DELETE` on one path) that hands each session to
/// `handler` as a `MessageChannel`: the proxy's listener and the sandbox's HTTP mode are both this.
public final class StreamableHTTPServer: Sendable {
    /// Serves one channel until it ends: a legacy session (`HTTPSessionChannel`), or the one channel
    /// that carries every stateless modern request (`StatelessHTTPChannel`).
    public typealias SessionHandler = @Sendable (any MessageChannel) async -> Void
    /// What a request hook decided instead of dispatching the POST.
    public enum HookDecision: Sendable {
        case respond(Response)
        /// End the session now and answer 404, as a server does when a session expires.
        case expireSession
    }

    /// Runs before a POST is dispatched (the sandbox's HTTP faults); nil lets it through.
    public typealias RequestHook = @Sendable (_ message: JSONRPCMessage, _ session: HTTPSessionChannel?) async -> HookDecision?

    public let settings: HTTPListenerSettings
    let table: HTTPSessionTable
    let handler: SessionHandler
    let hook: RequestHook?
    let logger: Logger
    private let port = Mutex(0)
    private let liveLimits: Mutex<ListenerLimits>
    private let connections = Mutex<ConnectionRegistry?>(nil)
    let handlers = Mutex([String: Task<Void, Never>]())
    /// Created at the first stateless request, and kept for the listener's life.
    let statelessChannel = Mutex<StatelessHTTPChannel?>(nil)
    private let group = Mutex<ServiceGroup?>(nil)
    /// The listener's connections, its sessions and their requests prefer NIO's loops.
    public let executor: EventLoopExecutor

    /// Adds routes of the embedding program's own beside the MCP endpoint (the sandbox's OAuth endpoints).
    public typealias RouteInstaller = @Sendable (Router<BasicRequestContext>) -> Void

    let extraRoutes: RouteInstaller?

    /// Told the method of each server message to stateless clients that no single request could be
    /// found for (so it was not delivered): for a metric.
    let undeliverable: @Sendable (String) -> Void

    public init(settings: HTTPListenerSettings, logger: Logger, hook: RequestHook? = nil, extraRoutes: RouteInstaller? = nil,
                undeliverable: @escaping @Sendable (String) -> Void = { _ in },
                executor: EventLoopExecutor = EventLoopExecutor(),
                handler: @escaping SessionHandler) {
        self.executor = executor
        self.undeliverable = undeliverable
        self.extraRoutes = extraRoutes
        self.settings = settings
        self.liveLimits = Mutex(settings.limits)
        self.table = HTTPSessionTable(limit: settings.limits.maxSessions, idleTimeout: settings.limits.sessionIdleTimeout,
                                      unusedTimeout: settings.limits.unusedSessionTimeout, replayBufferBytes: settings.limits.replayBufferBytes)
        self.handler = handler
        self.hook = hook
        self.logger = logger
    }

    /// The port actually bound (useful with port 0), once `run` has started listening.
    public var boundPort: Int { port.withLock { $0 } }

    /// The limits in force: those it started with, or the last `apply`.
    public var limits: ListenerLimits { liveLimits.withLock { $0 } }

    /// Limits from a config reload: new connections get the new deadlines, the next request the body
    /// limit, the session table its cap and expiry at once. Nothing open is cut.
    public func apply(_ limits: ListenerLimits) async {
        liveLimits.withLock { $0 = limits }
        await table.update(limits)
        connections.withLock { $0 }?.limit = connectionLimit()
    }

    /// Serves until `shutdown()`; `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        let path = RouterPath(settings.path)
        router.post(path) { request, _ in try await self.post(request) }
        router.get(path) { request, _ in await self.get(request) }
        router.delete(path) { request, _ in await self.delete(request) }
        extraRoutes?(router)
        let connections = ConnectionRegistry(limit: connectionLimit())
        self.connections.withLock { $0 = connections }
        let app = Application(
            responder: ListenerGuard(settings: settings, boundPort: { self.boundPort }, inner: router.buildResponder()),
            server: .http1(configuration: .init(additionalChannelHandlers: [
                ConnectionDeadlineHandler(registry: connections, limits: self.limits),
            ])),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? self.settings.port
                self.port.withLock { $0 = bound }
                await onListening(bound)
            },
            logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        group.withLock { $0 = services }
        let janitor = Task { try await expireIdleSessions() }
        defer { janitor.cancel() }
        try await withTaskExecutorPreference(executor) { try await services.run() }
        await closeAllSessions()
    }

    /// A graceful stop: every session ends first (so open SSE streams finish and each upstream is shut
    /// down), then the listener stops accepting and finishes what is in flight.
    public func shutdown() async {
        await closeAllSessions()
        await group.withLock { $0 }?.triggerGracefulShutdown()
    }

    /// Ends every session and waits until their handlers have finished (and released their upstreams).
    public func closeAllSessions() async {
        await table.closeAll()
        statelessChannel.withLock { $0 }?.close()
        for task in handlers.withLock({ Array($0.values) }) { await task.value }
    }

    /// The connection limit, lowered when the process may open too few descriptors for it: sessions'
    /// upstreams, log files and the listener itself need some too.
    private func connectionLimit() -> Int {
        let wanted = limits.maxConnections
        guard let descriptors = DescriptorLimit.soft else { return wanted }
        let affordable = max(8, (descriptors - 64 - 8 * limits.maxSessions) / 2)
        if affordable < wanted {
            logger.warning("lowered the listener's connection limit to fit the open-file limit", metadata: [
                "max_connections": "\(affordable)", "open_file_limit": "\(descriptors)",
                "fix": "raise the limit (ulimit -n) to serve \(wanted) connections",
            ])
        }
        return min(wanted, affordable)
    }

    private func expireIdleSessions() async throws {
        while true {
            try await Task.sleep(for: min(limits.unusedSessionTimeout, limits.sessionIdleTimeout, .seconds(30)) / 2)
            let expired = await table.expireIdle()
            if expired > 0 { logger.info("expired idle sessions", metadata: ["count": "\(expired)"]) }
        }
    }

    // MARK: POST

    private func post(_ request: Request) async throws -> Response {
        guard MediaType.contentType(request.headers[.contentType], is: .json) else {
            return HTTPErrorResponse.make(.unsupportedMediaType, code: JSONRPCError.invalidRequestCode,
                                          "POST a JSON-RPC message with Content-Type: application/json")
        }
        let accept = request.headers[.accept]
        let acceptsJSON = MediaType.accept(accept, admits: .json)
        let acceptsSSE = MediaType.accept(accept, admits: .eventStream)
        guard acceptsJSON || acceptsSSE else {
            return HTTPErrorResponse.make(.notAcceptable, code: JSONRPCError.invalidRequestCode,
                                          "Accept must list application/json and text/event-stream")
        }
        var body: ByteBuffer
        // Read once: a reload may change it meanwhile, and the refusal must name the limit applied.
        let maxBodyBytes = limits.maxBodyBytes
        do {
            var mutable = request
            body = try await mutable.collectBody(upTo: maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return HTTPErrorResponse.make(.contentTooLarge, code: JSONRPCError.invalidRequestCode,
                                          "Request body exceeds \(maxBodyBytes) bytes; raise listener.max_body_bytes (or --max-body-bytes) if this is intended")
        }
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        if JSONRPCBatch.isBatch(bytes) { return await batch(bytes, request: request) }
        let message: JSONRPCMessage
        do {
            message = TraceContextCarrier.carrying(traceparent: request.headers[.traceparent], tracestate: request.headers[.tracestate],
                                                   into: try JSONRPCMessage.decode(bytes))
        } catch {
            return HTTPErrorResponse.badRequest(error.error.message, code: error.error.code, id: error.id)
        }
        if request.headers[.mcpSessionID] == nil, settings.servedEras.serves(.modern), Self.isModern(message, request) {
            return await stateless(message, request: request, acceptsJSON: acceptsJSON, acceptsSSE: acceptsSSE)
        }
        if case .request(let id, "initialize") = message.kind {
            guard settings.servedEras.serves(.legacy) else { return refuseInitialize(message, id: id) }
            return try await initialize(message, acceptsJSON: acceptsJSON)
        }
        guard let sessionID = request.headers[.mcpSessionID] else {
            return HTTPErrorResponse.badRequest("Missing Mcp-Session-Id header: send initialize first, then the session id it returns", id: message.id)
        }
        guard let session = await table.session(sessionID) else {
            return HTTPErrorResponse.make(.notFound, code: JSONRPCError.invalidRequestCode,
                                          "Session \(sessionID) is unknown or expired: initialize a new session")
        }
        if let version = request.headers[.mcpProtocolVersion], !settings.supportedVersions.contains(version) {
            return HTTPErrorResponse.badRequest("Unsupported MCP-Protocol-Version \"\(version)\"; this server speaks \(settings.supportedVersions.joined(separator: ", "))")
        }
        switch await hook?(message, session) {
        case .respond(let response):
            return response
        case .expireSession:
            _ = await table.remove(sessionID)
            session.close()
            return HTTPErrorResponse.make(.notFound, code: JSONRPCError.invalidRequestCode,
                                          "Session \(sessionID) expired: initialize a new session")
        case nil:
            return await dispatch(message, session: session, acceptsJSON: acceptsJSON)
        }
    }

    private func initialize(_ message: JSONRPCMessage, acceptsJSON: Bool) async throws -> Response {
        if case .respond(let response) = await hook?(message, nil) { return response }
        // Refused before a session exists: an invalid initialize gets no id, no slot and no upstream.
        let requested = message.params?["protocolVersion"]?.stringValue.flatMap(MCPProtocolVersion.init) ?? .latestLegacy
        let violations = MCPMessageChecks.checkRequest(method: "initialize", params: message.params, version: requested)
        if !violations.isEmpty {
            return HTTPErrorResponse.badRequest("Refused initialize, so no session was created: " + violations.map(\.description).joined(separator: "; "),
                                                code: JSONRPCError.invalidParamsCode, id: message.id)
        }
        let session: HTTPSessionChannel
        switch await table.create() {
        case .created(let created, let evicted):
            session = created
            if let evicted { logger.info("evicted the least recently used idle session", metadata: ["session": "\(evicted.sessionID)"]) }
        case .full(let retryAfter):
            let seconds = Int((Double(retryAfter.components.seconds) + Double(retryAfter.components.attoseconds) / 1e18).rounded(.up))
            var response = HTTPErrorResponse.make(.serviceUnavailable, code: JSONRPCError.upstreamUnavailableCode,
                "All \(limits.maxSessions) sessions have requests in flight; retry in \(seconds) s, or raise listener.max_sessions (--max-sessions)",
                id: message.id)
            response.headers[.retryAfter] = "\(seconds)"
            return response
        }
        session.protocolVersion = message.params?["protocolVersion"]?.stringValue
        let id = session.sessionID
        let task = Task(executorPreference: executor) { [self] in
            await handler(session)
            session.close()
            _ = await table.remove(id)
            _ = handlers.withLock { $0.removeValue(forKey: id) }
        }
        handlers.withLock { $0[id] = task }
        var (response, refused) = await answer(message, session: session, acceptsJSON: acceptsJSON)
        guard response.status == .ok, !refused else {
            // The upstream or a stage refused the handshake: the session must not outlive the refusal.
            _ = await table.remove(id)
            session.close()
            return response
        }
        response.headers[.mcpSessionID] = session.sessionID
        return response
    }

    private func dispatch(_ message: JSONRPCMessage, session: HTTPSessionChannel, acceptsJSON: Bool) async -> Response {
        await answer(message, session: session, acceptsJSON: acceptsJSON).response
    }

    /// Hands a POSTed message to its session and waits for how to answer; `refused` tells a JSON-RPC
    /// error answered as JSON from a result.
    private func answer(_ message: JSONRPCMessage, session: HTTPSessionChannel, acceptsJSON: Bool) async -> (response: Response, refused: Bool) {
        guard case .request(let id, _) = message.kind else {
            session.receive(message)
            return (Response(status: .accepted), false)
        }
        guard let stream = session.openRequestStream(for: message, id: id, acceptsJSON: acceptsJSON) else {
            return (HTTPErrorResponse.badRequest("id \(id) is already used by a request in flight; use a new id per request", id: id), true)
        }
        session.receive(message, id: id, answeringOn: stream)
        switch await stream.start() {
        case .json(let bytes, let error):
            let refused = error != nil
            return (Response(status: .ok, headers: [.contentType: "application/json"],
                             body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))), refused)
        case .sse:
            return (sseResponse(stream.attach(after: 0), cutAfter: settings.cutStreamsAfterEvents), false)
        case .closed:
            // Not 404: the request was dispatched, so whether it took effect is unknown, and a 404 would
            // tell the client it is safe to send again.
            let body = JSONRPCMessage.error(id: id, JSONRPCError(
                code: JSONRPCError.outcomeUnknownCode,
                message: "The session ended before answering; the request may or may not have been applied. Check before retrying, in a new session.",
                data: ["outcome": "unknown"])).bytes
            return (Response(status: .internalServerError, headers: [.contentType: "application/json"],
                             body: ResponseBody(byteBuffer: ByteBuffer(bytes: body))), true)
        }
    }

    // MARK: GET and DELETE

    private func get(_ request: Request) async -> Response {
        guard settings.servedEras.serves(.legacy) else { return Self.methodNotAllowed }
        guard request.headers[.accept] != nil, MediaType.accept(request.headers[.accept], admits: .eventStream) else {
            return HTTPErrorResponse.make(.notAcceptable, code: JSONRPCError.invalidRequestCode,
                                          "GET opens an SSE stream: send Accept: text/event-stream")
        }
        guard let sessionID = request.headers[.mcpSessionID] else {
            return HTTPErrorResponse.badRequest("Missing Mcp-Session-Id header")
        }
        guard let session = await table.session(sessionID) else {
            return HTTPErrorResponse.make(.notFound, code: JSONRPCError.invalidRequestCode, "Session \(sessionID) is unknown or expired")
        }
        guard let events = session.attachStream(lastEventID: request.headers[.lastEventID]) else {
            return HTTPErrorResponse.make(.notFound, code: JSONRPCError.invalidRequestCode, "Session \(sessionID) has ended")
        }
        return sseResponse(events)
    }

    private func delete(_ request: Request) async -> Response {
        guard settings.servedEras.serves(.legacy) else { return Self.methodNotAllowed }
        guard let sessionID = request.headers[.mcpSessionID] else {
            return HTTPErrorResponse.badRequest("Missing Mcp-Session-Id header")
        }
        guard let session = await table.remove(sessionID) else {
            return HTTPErrorResponse.make(.notFound, code: JSONRPCError.invalidRequestCode, "Session \(sessionID) is unknown or expired")
        }
        session.close()
        return Response(status: .noContent)
    }

    func sseResponse(_ events: AsyncStream<[UInt8]>, cutAfter limit: Int? = nil) -> Response {
        Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                        body: ResponseBody { writer in
                            var written = 0
                            for await event in events {
                                try await writer.write(ByteBuffer(bytes: event))
                                written += 1
                                if let limit, written >= limit { break }
                            }
                            try await writer.finish(nil)
                        })
    }
}
