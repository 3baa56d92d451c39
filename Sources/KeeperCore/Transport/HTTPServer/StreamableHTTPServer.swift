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
    let handlers = Mutex([String: Task<Void, Never>]())
    /// Created at the first stateless request, and kept for the listener's life.
    let statelessChannel = Mutex<StatelessHTTPChannel?>(nil)
    private let group = Mutex<ServiceGroup?>(nil)

    /// Adds routes of the embedding program's own beside the MCP endpoint (the sandbox's OAuth endpoints).
    public typealias RouteInstaller = @Sendable (Router<BasicRequestContext>) -> Void

    let extraRoutes: RouteInstaller?

    public init(settings: HTTPListenerSettings, logger: Logger, hook: RequestHook? = nil, extraRoutes: RouteInstaller? = nil,
                handler: @escaping SessionHandler) {
        self.extraRoutes = extraRoutes
        self.settings = settings
        self.table = HTTPSessionTable(limit: settings.maxSessions, idleTimeout: settings.idleTimeout)
        self.handler = handler
        self.hook = hook
        self.logger = logger
    }

    /// The port actually bound (useful with port 0), once `run` has started listening.
    public var boundPort: Int { port.withLock { $0 } }

    /// Serves until `shutdown()`; `onListening` gets the bound port.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        router.add(middleware: ListenerGuard(settings: settings, boundPort: { self.boundPort }))
        let path = RouterPath(settings.path)
        router.post(path) { request, _ in try await self.post(request) }
        router.get(path) { request, _ in await self.get(request) }
        router.delete(path) { request, _ in await self.delete(request) }
        extraRoutes?(router)
        let app = Application(
            router: router,
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
        try await services.run()
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

    private func expireIdleSessions() async throws {
        let interval = min(settings.idleTimeout, .seconds(30))
        while true {
            try await Task.sleep(for: interval)
            let expired = await table.expireIdle()
            if expired > 0 { logger.info("expired idle sessions", metadata: ["count": "\(expired)"]) }
        }
    }

    // MARK: POST

    private func post(_ request: Request) async throws -> Response {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/json") ?? false else {
            return HTTPErrorResponse.make(.unsupportedMediaType, code: JSONRPCError.invalidRequestCode,
                                          "POST a JSON-RPC message with Content-Type: application/json")
        }
        let accept = request.headers[.accept]?.lowercased() ?? "*/*"
        let acceptsJSON = accept.contains("application/json") || accept.contains("*/*")
        let acceptsSSE = accept.contains("text/event-stream") || accept.contains("*/*")
        guard acceptsJSON || acceptsSSE else {
            return HTTPErrorResponse.make(.notAcceptable, code: JSONRPCError.invalidRequestCode,
                                          "Accept must list application/json and text/event-stream")
        }
        var body: ByteBuffer
        do {
            var mutable = request
            body = try await mutable.collectBody(upTo: settings.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            return HTTPErrorResponse.make(.contentTooLarge, code: JSONRPCError.invalidRequestCode,
                                          "Request body exceeds \(settings.maxBodyBytes) bytes; raise the listener's body limit if this is intended")
        }
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.decode(body.readBytes(length: body.readableBytes) ?? [])
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
        guard let session = await table.create() else {
            return HTTPErrorResponse.make(.serviceUnavailable, code: JSONRPCError.upstreamUnavailableCode,
                                          "All \(settings.maxSessions) sessions are in use; close one (DELETE) or raise the session limit")
        }
        session.protocolVersion = message.params?["protocolVersion"]?.stringValue
        let id = session.sessionID
        let task = Task {
            await handler(session)
            session.close()
            _ = await table.remove(id)
            _ = handlers.withLock { $0.removeValue(forKey: id) }
        }
        handlers.withLock { $0[id] = task }
        var response = await dispatch(message, session: session, acceptsJSON: acceptsJSON)
        response.headers[.mcpSessionID] = session.sessionID
        return response
    }

    private func dispatch(_ message: JSONRPCMessage, session: HTTPSessionChannel, acceptsJSON: Bool) async -> Response {
        guard case .request(let id, _) = message.kind else {
            session.receive(message)
            return Response(status: .accepted)
        }
        guard let stream = session.openRequestStream(for: message, id: id, acceptsJSON: acceptsJSON) else {
            return HTTPErrorResponse.badRequest("id \(id) is already used by a request in flight; use a new id per request", id: id)
        }
        session.receive(message)
        switch await stream.start() {
        case .json(let bytes):
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .sse:
            return sseResponse(stream.attach(after: 0), cutAfter: settings.cutStreamsAfterEvents)
        case .closed:
            // Not 404: the request was dispatched, so whether it took effect is unknown, and a 404 would
            // tell the client it is safe to send again.
            let body = JSONRPCMessage.error(id: id, JSONRPCError(
                code: JSONRPCError.outcomeUnknownCode,
                message: "The session ended before answering; the request may or may not have been applied. Check before retrying, in a new session.",
                data: ["outcome": "unknown"])).bytes
            return Response(status: .internalServerError, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
    }

    // MARK: GET and DELETE

    private func get(_ request: Request) async -> Response {
        guard settings.servedEras.serves(.legacy) else { return Self.methodNotAllowed }
        guard request.headers[.accept]?.lowercased().contains("text/event-stream") ?? false else {
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
