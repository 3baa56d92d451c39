import AsyncHTTPClient
import Logging
import NIOCore
import NIOHTTP1
import Synchronization

/// An upstream MCP server over Streamable HTTP: each message is a POST whose answer (JSON or an SSE
/// stream) flows into `inbound`, except that a JSON answer to `exchange` is returned to its sender;
/// the session id and protocol version are kept and sent; the GET
/// stream carries server-initiated messages; a broken response stream is resumed with `Last-Event-ID`.
public final class StreamableHTTPUpstream: UpstreamLink {
    public let name: String
    public let inbound: AsyncStream<ChannelEvent>
    let output: AsyncStream<ChannelEvent>.Continuation
    let settings: HTTPUpstreamSettings
    let client: HTTPClient
    let logger: Logger
    let state = Mutex(State())

    struct State {
        var sessionID: String?
        var protocolVersion: String?
        var initializeID: RequestID?
        /// Messages sent before `initialize` was answered, waiting for the session it opens.
        var sessionWaiters: [CheckedContinuation<Void, Never>] = []
        /// Whether `initialize` has been answered (or failed, or waiting for it was given up).
        var initializeSettled = false
        var sessionWaitTimer = false
        var tasks: [Int: Task<Void, Never>] = [:]
        var nextTask = 0
        var getStreamStarted = false
        var closed = false
        /// Modern requests whose answer is still streaming, by id: closing the stream cancels one.
        var modernStreams: [RequestID: Int] = [:]
        /// Modern requests whose POST is still waiting for its answer (the sender's task owns it).
        var modernWaiting: Set<RequestID> = []
        /// The server's questions that came on a request's stream, and that request (the newest few).
        var questions = RelatedQuestions()
    }

    public init(name: String, settings: HTTPUpstreamSettings, logger: Logger) {
        self.name = name
        self.settings = settings
        self.logger = logger
        (inbound, output) = AsyncStream<ChannelEvent>.makeStream()
        client = HTTPClient.forUpstream(settings)
    }

    public var sessionID: String? { state.withLock { $0.sessionID } }

    public func send(_ message: JSONRPCMessage) async throws(TransportError) {
        _ = try await transmit(message, headers: [:], paired: false)
    }

    public func exchange(_ request: JSONRPCMessage, headers: [String: String]) async throws(TransportError) -> JSONRPCMessage? {
        try await transmit(request, headers: headers, paired: true)
    }

    /// POSTs one message; `paired` returns a JSON answer instead of putting it on `inbound`.
    private func transmit(_ message: JSONRPCMessage, headers: [String: String], paired: Bool) async throws(TransportError) -> JSONRPCMessage? {
        let forwarded = headers.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) }
        if let version = ModernHTTPHeaders.declaredVersion(of: message) {
            return try await sendModern(message, version: version, headers: forwarded, paired: paired)
        }
        if message.method == "notifications/cancelled", cancelModernStream(message) { return nil }
        let headers = TraceContextCarrier.headers(of: message) + forwarded
        if case .request(let id, "initialize") = message.kind {
            state.withLock { $0.initializeID = id }
            do {
                return try await post(message.bytes, expecting: id, headers: headers, paired: paired)
            } catch {
                state.withLock { $0.initializeID = nil }
                releaseSessionWaiters(settled: true)
                throw error
            }
        }
        // A strict server refuses anything without the session id initialize's answer brings, and
        // the client's next requests can overtake its initialize on the way here.
        await awaitSession()
        let answer = try await post(message.bytes, expecting: message.kind.requestID, headers: headers, paired: paired)
        if message.method == "notifications/initialized" { startGetStream() }
        return answer
    }

    private func awaitSession() async {
        let (mustWait, startTimer) = state.withLock { s -> (Bool, Bool) in
            guard s.sessionID == nil, !s.initializeSettled, !s.closed else { return (false, false) }
            defer { s.sessionWaitTimer = true }
            return (true, !s.sessionWaitTimer)
        }
        guard mustWait else { return }
        if startTimer {
            // Bounded: a client that never sends initialize, or a server that never answers it, holds nothing back for long.
            track { [timeout = settings.responseTimeout] in
                try? await Task.sleep(for: timeout)
                self.releaseSessionWaiters(settled: true)
            }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ready = state.withLock { s -> Bool in
                guard s.sessionID == nil, !s.initializeSettled, !s.closed else { return true }
                s.sessionWaiters.append(continuation)
                return false
            }
            if ready { continuation.resume() }
        }
    }

    /// Lets waiting messages go: the session exists, or (`settled`) initialize has been answered or given up on.
    func releaseSessionWaiters(settled: Bool = false) {
        let waiters = state.withLock { s -> [CheckedContinuation<Void, Never>] in
            if settled { s.initializeSettled = true }
            defer { s.sessionWaiters.removeAll() }
            return s.sessionWaiters
        }
        waiters.forEach { $0.resume() }
    }

    public func closeOutput() {
        Task { _ = await shutdown(grace: .seconds(2)) }
    }

    /// Ends the HTTP session (DELETE), stops every stream and closes the client.
    public func shutdown(grace: Duration) async -> String {
        let (tasks, sessionID) = state.withLock { s -> ([Task<Void, Never>], String?) in
            if s.closed { return ([], nil) }
            s.closed = true
            defer { s.tasks.removeAll() }
            return (Array(s.tasks.values), s.sessionID)
        }
        tasks.forEach { $0.cancel() }
        releaseSessionWaiters(settled: true)
        if let sessionID {
            var request = (try? await makeRequest(method: .DELETE)) ?? HTTPClientRequest(url: settings.url)
            request.headers.replaceOrAdd(name: "Mcp-Session-Id", value: sessionID)
            _ = try? await client.execute(request, deadline: .now() + .nanoseconds(grace.nanoseconds), logger: logger)
        }
        try? await client.shutdown()
        output.finish()
        return "HTTP session closed"
    }

    public var carriesHeaders: Bool { true }

    public func endDescription() async -> String { "HTTP upstream closed" }

    // MARK: requests

    func makeRequest(method: HTTPMethod, modern: Bool = false) async throws(TransportError) -> HTTPClientRequest {
        var request = try await settings.request(method: method)
        guard !modern else { return request }
        let (sessionID, version) = state.withLock { ($0.sessionID, $0.protocolVersion) }
        if let sessionID { request.headers.replaceOrAdd(name: "Mcp-Session-Id", value: sessionID) }
        if let version { request.headers.replaceOrAdd(name: "MCP-Protocol-Version", value: version) }
        return request
    }

    /// `headers` go with this POST only (the modern era's per-request headers); `modern` leaves the
    /// legacy session headers off; `paired` returns a JSON answer rather than putting it on `inbound`.
    func post(_ body: [UInt8], expecting id: RequestID?, headers: [(name: String, value: String)] = [], modern: Bool = false,
              paired: Bool = false, retriedAuthorization: Bool = false) async throws(TransportError) -> JSONRPCMessage? {
        guard !state.withLock({ $0.closed }) else { throw .closed("upstream \(name)") }
        var request = try await makeRequest(method: .POST, modern: modern)
        for header in headers { request.headers.replaceOrAdd(name: header.name, value: header.value) }
        request.headers.replaceOrAdd(name: "Content-Type", value: "application/json")
        request.headers.replaceOrAdd(name: "Accept", value: "application/json, text/event-stream")
        request.body = .bytes(ByteBuffer(bytes: body))
        let hadSession = state.withLock { $0.sessionID != nil }
        let response = try await execute(request, phase: "response headers")
        if response.status.code == 401, let authorization = settings.authorization {
            _ = try? await collect(response.body, limit: 64 << 10)
            let renewed: Bool
            let sent = request.headers.first(name: "Authorization") ?? ""
            do { renewed = try await authorization.rejected(sent) } catch { throw .httpStatus(401, retryAfter: nil, detail: error.description) }
            guard renewed, !retriedAuthorization else {
                throw .httpStatus(401, retryAfter: nil, detail: "the upstream refused the access token; log in again: mcpkeeper auth login --upstream \(name)")
            }
            return try await post(body, expecting: id, headers: headers, modern: modern, paired: paired, retriedAuthorization: true)
        }
        if response.status.code == 403, let authorization = settings.authorization,
           let challenge = response.headers.first(name: "WWW-Authenticate"), challenge.contains("insufficient_scope") {
            _ = try? await collect(response.body, limit: 64 << 10)
            let challenged = challenge.firstMatch(of: /scope="([^"]*)"/).map { String($0.1) }
            // Step-up (an interactive login for the missing scope), then one more try.
            if !retriedAuthorization {
                let sent = request.headers.first(name: "Authorization") ?? ""
                let steppedUp: Bool
                do { steppedUp = try await authorization.insufficientScope(challenged, header: sent) } catch {
                    throw .httpStatus(403, retryAfter: nil, detail: error.description)
                }
                if steppedUp { return try await post(body, expecting: id, headers: headers, modern: modern, paired: paired, retriedAuthorization: true) }
            }
            let scope = challenged ?? "a scope it did not name"
            throw .httpStatus(403, retryAfter: nil, detail:
                "the access token lacks the scope the server requires (\(scope)); add it to auth.scopes and log in again: mcpkeeper auth login --upstream \(name)")
        }
        if let newSession = response.headers.first(name: "Mcp-Session-Id"), id != nil,
           state.withLock({ $0.initializeID == id }) {
            state.withLock { $0.sessionID = newSession }
            releaseSessionWaiters()
        }
        switch response.status.code {
        case 202, 204:
            return nil
        case 200..<300:
            if response.headers.first(name: "Content-Type")?.lowercased().hasPrefix("text/event-stream") ?? false {
                let key = track { await self.readResponseStream(response.body, for: id, resumable: !modern) }
                if modern, let id, let key { state.withLock { $0.modernStreams[id] = key } }
                return nil
            } else {
                let bytes = try await collect(response.body, limit: settings.maxResponseBytes)
                guard let id else {
                    deliver(bytes)
                    return nil
                }
                // An answer that is not JSON-RPC for this request fails the request now, not at its timeout.
                guard let message = try? JSONRPCMessage.decode(bytes), message.id == id else {
                    let request = try? JSONRPCMessage.decode(body)
                    let shown = String(decoding: bytes.prefix(120), as: UTF8.self)
                    return handOver(JSONRPCMessage.error(id: id, UpstreamFailure.outcomeUnknown(
                        upstream: name, reason: "it answered HTTP \(response.status.code) with a body that is not the JSON-RPC answer to this request: \(shown)",
                        method: request?.method ?? "", tool: request?.params?["name"]?.stringValue)), paired: paired)
                }
                return handOver(message, paired: paired)
            }
        case 404 where hadSession:
            throw .sessionExpired
        default:
            let bytes = (try? await collect(response.body, limit: 64 << 10)) ?? []
            if let id, let message = try? JSONRPCMessage.decode(bytes), message.id == id,
               case .errorResponse = message.kind {
                return handOver(message, paired: paired)
            }
            let detail = String(decoding: bytes.prefix(300), as: UTF8.self)
            throw .httpStatus(Int(response.status.code), retryAfter: response.headers.first(name: "Retry-After"), detail: detail)
        }
    }

    func execute(_ request: HTTPClientRequest, phase: String) async throws(TransportError) -> HTTPClientResponse {
        try await client.execute(request, timeout: settings.responseTimeout, phase: phase, logger: logger)
    }

    func collect(_ body: HTTPClientResponse.Body, limit: Int) async throws(TransportError) -> [UInt8] {
        do {
            var buffer = try await body.collect(upTo: limit)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        } catch is NIOTooManyBytesError {
            throw .connectionLost("the answer is larger than \(limit >> 20) MiB, the most mcpkeeper reads")
        } catch {
            throw .connectionLost("reading the response body: \(error)")
        }
    }

    /// Hands what the upstream sent to the session: a message decoded, anything else as its bytes.
    func deliver(_ bytes: [UInt8]) {
        guard let message = try? JSONRPCMessage.decode(bytes) else { return deliverUnreadable(bytes) }
        deliver(message)
    }

    /// Bytes that are not a message, for the session to report as malformed.
    func deliverUnreadable(_ bytes: [UInt8]) {
        output.yield(.line(bytes))
    }

    /// Hands one message to the session, noting the negotiated protocol version on the way.
    func deliver(_ message: JSONRPCMessage) {
        let answersInitialize = noteAnswer(message)
        output.yield(.message(message))
        if answersInitialize { releaseSessionWaiters(settled: true) }
    }

    /// The JSON answer to a POST: returned to the sender that asked for it as a pair, else delivered.
    private func handOver(_ answer: JSONRPCMessage, paired: Bool) -> JSONRPCMessage? {
        guard paired else {
            deliver(answer)
            return nil
        }
        if noteAnswer(answer) { releaseSessionWaiters(settled: true) }
        return answer
    }

    /// Notes the protocol version when `message` answers initialize (true then).
    private func noteAnswer(_ message: JSONRPCMessage) -> Bool {
        state.withLock { s -> Bool in
            guard let id = s.initializeID, message.id == id else { return false }
            if let version = message.resultOutline?["protocolVersion"]?.stringValue { s.protocolVersion = version }
            s.initializeID = nil
            return true
        }
    }

    @discardableResult
    func track(_ work: @escaping @Sendable () async -> Void) -> Int? {
        state.withLock { s -> Int? in
            guard !s.closed else { return nil }
            let key = s.nextTask
            s.nextTask += 1
            s.tasks[key] = Task {
                await work()
                self.state.withLock { s in
                    s.tasks.removeValue(forKey: key)
                    s.modernStreams = s.modernStreams.filter { $0.value != key }
                }
            }
            return key
        }
    }
}

extension JSONRPCMessage.Kind {
    var requestID: RequestID? {
        if case .request(let id, _) = self { return id }
        return nil
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
