import HTTPTypes
import Hummingbird
import NIOCore

/// The modern era on the MCP endpoint: POSTs without a session, each checked (headers against body,
/// version) and carried on the one `StatelessHTTPChannel`.
extension StreamableHTTPServer {
    static let methodNotAllowed = HTTPErrorResponse.make(.methodNotAllowed, code: JSONRPCError.invalidRequestCode,
                                                         "This endpoint speaks MCP 2026-07-28 only: no sessions, no GET stream; POST each request")

    /// A POST is modern when its body declares a version in `_meta`, or its header names a modern version.
    static func isModern(_ message: JSONRPCMessage, _ request: Request) -> Bool {
        if ModernHTTPHeaders.declaredVersion(of: message) != nil { return true }
        guard let header = request.headers[.mcpProtocolVersion] else { return false }
        return header > MCPProtocolVersion.latestLegacy.rawValue
    }

    func stateless(_ message: JSONRPCMessage, request: Request, acceptsJSON: Bool, acceptsSSE: Bool) async -> Response {
        let id = message.id
        if let mismatch = ModernHTTPHeaders.mismatch(in: message, header: { request.headers[HTTPField.Name($0)!] }) {
            return HTTPErrorResponse.badRequest(mismatch.message, code: mismatch.code, id: id)
        }
        let version = ModernHTTPHeaders.declaredVersion(of: message) ?? ""
        guard settings.modernVersions.contains(version) else {
            return unsupportedVersion(requested: version, id: id)
        }
        if case .respond(let response) = await hook?(message, nil) { return response }
        let channel = statelessHub()
        guard case .request(let requestID, _) = message.kind else {
            channel.receive(message)
            return Response(status: .accepted)
        }
        guard let (stream, internalID) = channel.open(message, id: requestID, acceptsJSON: acceptsJSON,
                                                      headers: Self.forwardedHeaders(request)) else {
            return HTTPErrorResponse.make(.serviceUnavailable, code: JSONRPCError.upstreamUnavailableCode, "The server is shutting down")
        }
        // An answer slower than one keep-alive interval streams (if the client takes SSE), so that a
        // client that gives up is noticed and its request cancelled.
        let streamLate = Task { [interval = settings.sseKeepAlive] in
            try? await Task.sleep(for: interval)
            if !Task.isCancelled, acceptsSSE { stream.preferStreaming() }
        }
        let start = await stream.start()
        streamLate.cancel()
        switch start {
        case .json(let bytes, let error):
            return Response(status: error.map(Self.status(of:)) ?? .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        case .sse:
            return keptAliveSSE(stream.attach(after: 0)) { channel.abandoned(internalID) }
        case .closed:
            return HTTPErrorResponse.make(.serviceUnavailable, code: JSONRPCError.upstreamUnavailableCode,
                                          "The server shut down before answering; the request may or may not have been applied", id: requestID)
        }
    }

    /// `initialize` on a modern-only endpoint: the error names the versions spoken, the only hint a legacy client can show.
    func refuseInitialize(_ message: JSONRPCMessage, id: RequestID) -> Response {
        unsupportedVersion(requested: message.params?["protocolVersion"]?.stringValue ?? "", id: id)
    }

    private func unsupportedVersion(requested: String, id: RequestID?) -> Response {
        let supported = settings.servedEras.serves(.legacy) ? settings.modernVersions + settings.supportedVersions.filter { !settings.modernVersions.contains($0) }
                                                             : settings.modernVersions
        let body = JSONRPCMessage.error(id: id, .unsupportedProtocolVersion(requested: requested, supported: supported)).bytes
        return Response(status: .badRequest, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    private func statelessHub() -> StatelessHTTPChannel {
        let (channel, created) = statelessChannel.withLock { current -> (StatelessHTTPChannel, Bool) in
            if let current { return (current, false) }
            let channel = StatelessHTTPChannel { [logger, undeliverable] method in
                logger.debug("dropped a server message no single stateless request could be found for", metadata: ["method": "\(method)"])
                undeliverable(method)
            }
            current = channel
            return (channel, true)
        }
        if created {
            let task = Task(executorPreference: executor) { [handler] in await handler(channel) }
            handlers.withLock { $0["stateless"] = task }
        }
        return channel
    }

    /// Headers that intermediaries pass on untouched: the ones mirrored from tool arguments.
    static func forwardedHeaders(_ request: Request) -> [String: String] {
        var headers: [String: String] = [:]
        for field in request.headers where field.name.canonicalName.hasPrefix(ModernHTTPHeaders.paramPrefix) {
            headers[field.name.rawName] = field.value
        }
        return headers
    }

    /// The HTTP status the modern era gives an error answer: 400 for its protocol errors and for a
    /// request that fails validation (invalid request or params, `_meta` included), 404 for an
    /// unknown method.
    static func status(of error: JSONRPCError) -> HTTPResponse.Status {
        switch error.code {
        case JSONRPCError.headerMismatchCode, JSONRPCError.missingClientCapabilityCode, JSONRPCError.unsupportedProtocolVersionCode,
             JSONRPCError.invalidRequestCode, JSONRPCError.invalidParamsCode:
            return .badRequest
        case JSONRPCError.methodNotFoundCode:
            return .notFound
        default:
            return .ok
        }
    }

    /// An SSE answer with periodic comment lines; a write that fails means the client left, which
    /// `gone` reports (closing the stream is the modern era's cancellation).
    private func keptAliveSSE(_ events: AsyncStream<[UInt8]>, gone: @escaping @Sendable () -> Void) -> Response {
        let interval = settings.sseKeepAlive
        let merged = AsyncStream<[UInt8]> { continuation in
            let forward = Task {
                for await event in events { continuation.yield(event) }
                continuation.finish()
            }
            let ticks = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: interval)
                    continuation.yield(Array(":\n\n".utf8))
                }
            }
            continuation.onTermination = { _ in
                forward.cancel()
                ticks.cancel()
            }
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache", .xAccelBuffering: "no"],
                        body: ResponseBody { writer in
                            do {
                                for await event in merged { try await writer.write(ByteBuffer(bytes: event)) }
                            } catch {
                                gone()
                                throw error
                            }
                            try await writer.finish(nil)
                        })
    }
}

extension HTTPField.Name {
    static let xAccelBuffering = HTTPField.Name("X-Accel-Buffering")!
}
