import AsyncHTTPClient
import Foundation
import KeeperCore
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP answer: status, headers (names lowercased) and body, with the body read as JSON or SSE.
struct HTTPReply: Sendable {
    let status: Int
    let headers: [String: String]
    let body: [UInt8]

    func header(_ name: String) -> String? { headers[name.lowercased()] }
    var contentType: String { header("Content-Type")?.lowercased() ?? "" }
    var isEventStream: Bool { contentType.hasPrefix("text/event-stream") }
    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body as JSON (nil for an SSE answer or a body that is not JSON).
    var json: JSONValue? { isEventStream ? nil : try? JSONParser.parse(body) }

    /// The body's SSE events, in order (empty unless the answer is an event stream).
    var events: [SSEEvent] {
        guard isEventStream else { return [] }
        var decoder = SSEDecoder()
        return decoder.feed(body)
    }

    /// The JSON-RPC messages carried: the JSON body, or each SSE event's data.
    var messages: [JSONValue] {
        if isEventStream { return events.compactMap { try? JSONParser.parse($0.data) } }
        return json.map { [$0] } ?? []
    }

    /// The JSON-RPC error of a refusal body.
    var errorCode: Int? { json?["error"]?["code"]?.intValue }
    var errorMessage: String { json?["error"]?["message"]?.stringValue ?? "" }
}

/// A small Streamable HTTP MCP client for tests: it keeps the bearer key, the session id and the
/// protocol version, and sends them on every request unless a test overrides a header.
struct MCPHTTPClient: Sendable {
    let url: URL
    var bearerKey: String?
    var sessionID: String?
    var protocolVersion: String?
    var timeout: TimeInterval = 5

    init(url: URL, bearerKey: String? = nil) {
        self.url = url
        self.bearerKey = bearerKey
    }

    /// The headers every request carries; `overrides` replace them, and an empty value removes one.
    func headers(_ overrides: [String: String] = [:]) -> [String: String] {
        var headers: [String: String] = [:]
        if let bearerKey { headers["Authorization"] = "Bearer \(bearerKey)" }
        if let sessionID { headers["Mcp-Session-Id"] = sessionID }
        if let protocolVersion { headers["MCP-Protocol-Version"] = protocolVersion }
        for (name, value) in overrides {
            headers = headers.filter { $0.key.lowercased() != name.lowercased() }
            if !value.isEmpty { headers[name] = value }
        }
        return headers
    }

    /// POSTs a body as it is (for malformed or oversized bodies).
    func post(raw body: [UInt8], headers extra: [String: String] = [:]) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        let defaults = ["Content-Type": "application/json", "Accept": "application/json, text/event-stream"]
        for (name, value) in headers(defaults.merging(extra) { $1 }) { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        return try await HTTPTransfer.perform(request, timeout: timeout)
    }

    /// POSTs one JSON-RPC message.
    func post(_ message: JSONValue, headers extra: [String: String] = [:]) async throws -> HTTPReply {
        try await post(raw: Array(message.serialized().utf8), headers: extra)
    }

    /// POSTs a request `{"jsonrpc":"2.0","id":id,"method":method,"params":params}`.
    func request(_ id: JSONValue, _ method: String, _ params: JSONValue? = nil, headers extra: [String: String] = [:]) async throws -> HTTPReply {
        var object: JSONObject = ["jsonrpc": "2.0", "id": id, "method": .string(method)]
        if let params { object["params"] = params }
        return try await post(.object(object), headers: extra)
    }

    /// Initializes a session: remembers its id and version, and sends `notifications/initialized`.
    @discardableResult
    mutating func initialize(params: JSONValue = initializeParams) async throws -> HTTPReply {
        let reply = try await request(1, "initialize", params)
        guard reply.status == 200, let session = reply.header("Mcp-Session-Id") else {
            throw HarnessError("initialize failed: HTTP \(reply.status) \(reply.text)")
        }
        sessionID = session
        protocolVersion = reply.messages.first?["result"]?["protocolVersion"]?.stringValue
        let initialized = try await post(["jsonrpc": "2.0", "method": "notifications/initialized"])
        guard initialized.status == 202 else { throw HarnessError("notifications/initialized: HTTP \(initialized.status) \(initialized.text)") }
        return reply
    }

    func delete(headers extra: [String: String] = [:]) async throws -> HTTPReply {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .DELETE
        for (name, value) in headers(extra) { request.headers.replaceOrAdd(name: name, value: value) }
        return try await HTTPTransfer.perform(request, timeout: timeout)
    }

    /// Opens a GET stream (the standalone one, or the one `lastEventID` resumes); cancel it when done.
    func openStream(lastEventID: String? = nil, headers extra: [String: String] = [:]) async throws -> SSEConnection {
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .GET
        var overrides = ["Accept": "text/event-stream"]
        if let lastEventID { overrides["Last-Event-ID"] = lastEventID }
        for (name, value) in headers(overrides.merging(extra) { $1 }) { request.headers.replaceOrAdd(name: name, value: value) }
        return try await SSEConnection.open(request, timeout: .seconds(timeout))
    }
}

/// One request/response exchange, the whole body collected.
enum HTTPTransfer {
    static func perform(_ request: HTTPClientRequest, timeout: TimeInterval) async throws -> HTTPReply {
        let response = try await HTTPClient.shared.execute(request, timeout: .milliseconds(Int64(timeout * 1000)))
        let body = try await collect(response.body, timeout: .milliseconds(Int64(timeout * 1000)))
        return HTTPReply(status: Int(response.status.code), headers: lowercased(response.headers), body: body)
    }

    /// The whole body, or an error if it has not ended in time (an SSE answer that never finishes).
    static func collect(_ body: HTTPClientResponse.Body, timeout: Duration) async throws -> [UInt8] {
        try await withThrowingTaskGroup(of: [UInt8]?.self) { group in
            group.addTask {
                var buffer = try await body.collect(upTo: 16 << 20)
                return buffer.readBytes(length: buffer.readableBytes) ?? []
            }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            guard let first else { throw HarnessError("the response body did not end within \(timeout)") }
            return first
        }
    }

    static func lowercased(_ headers: HTTPHeaders) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in headers { result[name.lowercased()] = value }
        return result
    }
}

/// A GET's SSE stream read event by event as it arrives, each awaited with a deadline.
final class SSEConnection: Sendable {
    /// Status and headers (and, for a refusal, the whole body).
    let reply: HTTPReply
    private let state = Mutex(State())
    private let reader = Mutex<Task<Void, Never>?>(nil)

    private struct State {
        var decoder = SSEDecoder()
        var events: [SSEEvent] = []
        var ended = false
    }

    private init(reply: HTTPReply) { self.reply = reply }

    /// Sends the GET and waits for the response head; a 200 is then read in the background, any
    /// other answer is returned whole in `reply`.
    static func open(_ request: HTTPClientRequest, timeout: Duration) async throws -> SSEConnection {
        let (seconds, attoseconds) = timeout.components
        let response = try await HTTPClient.shared.execute(request, timeout: .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
        let status = Int(response.status.code)
        let headers = HTTPTransfer.lowercased(response.headers)
        guard status == 200 else {
            let body = try await HTTPTransfer.collect(response.body, timeout: timeout)
            let connection = SSEConnection(reply: HTTPReply(status: status, headers: headers, body: body))
            connection.state.withLock { $0.ended = true }
            return connection
        }
        let connection = SSEConnection(reply: HTTPReply(status: status, headers: headers, body: []))
        let task = Task { [body = response.body] in
            do {
                for try await chunk in body {
                    connection.state.withLock { s in s.events += s.decoder.feed(chunk.readableBytesView) }
                }
            } catch {}
            connection.state.withLock { $0.ended = true }
        }
        connection.reader.withLock { $0 = task }
        return connection
    }

    /// Whether the server ended the response.
    var ended: Bool { state.withLock { $0.ended } }

    /// The next event; nil when the stream ended first. Throws when nothing came in time.
    func next(timeout: Duration = .seconds(5)) async throws -> SSEEvent? {
        enum Outcome { case event(SSEEvent), ended }
        let outcome: Outcome? = await waitUntil(timeout: timeout) { s in
            if !s.events.isEmpty { return .event(s.events.removeFirst()) }
            return s.ended ? .ended : nil
        }
        switch outcome {
        case .event(let event): return event
        case .ended: return nil
        case nil: throw HarnessError("no SSE event within \(timeout)")
        }
    }

    /// Exactly `count` events, or a thrown error saying how many came.
    func next(_ count: Int, timeout: Duration = .seconds(5)) async throws -> [SSEEvent] {
        var events: [SSEEvent] = []
        while events.count < count {
            guard let event = try await next(timeout: timeout) else {
                throw HarnessError("the stream ended after \(events.count) of \(count) events")
            }
            events.append(event)
        }
        return events
    }

    /// Waits until the server ends the response; false if it is still open after `timeout`.
    func waitForEnd(timeout: Duration = .seconds(5)) async -> Bool {
        let ended: Bool? = await waitUntil(timeout: timeout) { $0.ended ? true : nil }
        return ended ?? false
    }

    /// Closes the connection (the server sees the client go away).
    func cancel() {
        reader.withLock { $0 }?.cancel()
    }

    deinit { reader.withLock { $0 }?.cancel() }

    /// Polls `check` every 10 ms until it yields a value or time runs out.
    private func waitUntil<T>(timeout: Duration, _ check: (inout State) -> T?) async -> T? {
        let deadline = ContinuousClock.now + timeout
        while true {
            if let value = state.withLock({ check(&$0) }) { return value }
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(10))
        }
    }
}

/// Processes that serve HTTP: started like `ProxyProcess`, ready once they log `listening url=…`.
extension ProxyProcess {
    /// Starts `mcpkeeper ARGS` and waits for its `listening url=` line.
    static func listening(_ arguments: [String], environment: [String: String] = [:], openFileLimit: Int? = nil,
                          timeout: Duration = .seconds(30)) async throws -> (ProxyProcess, URL) {
        let process = try ProxyProcess(arguments, environment: environment, openFileLimit: openFileLimit)
        do {
            return (process, try await process.listeningURL(timeout: timeout))
        } catch {
            // Not handed to the caller, so nobody else would stop it.
            await process.stop(grace: .milliseconds(500))
            throw error
        }
    }

    /// The URL from the `listening url=…` line on stderr.
    func listeningURL(timeout: Duration = .seconds(30)) async throws -> URL {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let match = stderr.firstMatch(of: /listening url=(\S+)/), let url = URL(string: String(match.1)) { return url }
            if !process.isRunning { throw HarnessError("exited with \(process.terminationStatus) before listening: \(stderr)") }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw HarnessError("no 'listening url=' line on stderr within \(timeout): \(stderr)")
    }

    /// Every upstream child pid from the `proxying … pid=N` lines, waiting until there are `count`.
    func childPIDs(count: Int, timeout: Duration = .seconds(10)) async throws -> [pid_t] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let pids = stderr.matches(of: /proxying .*pid=(\d+)/).compactMap { pid_t($0.1) }
            if pids.count >= count { return pids }
            if ContinuousClock.now > deadline { throw HarnessError("found \(pids.count) of \(count) 'proxying pid=' lines: \(stderr)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// A tools/call of API-get-self that asks for progress, so the sandbox sends a notification first.
func getSelfWithProgress(token: String) -> JSONValue {
    ["name": "API-get-self", "arguments": [:], "_meta": ["progressToken": .string(token)]]
}

/// The parsed JSON text of a tools/call result's first content block.
func toolResultText(_ reply: JSONValue) throws -> JSONValue {
    let text = try #require(reply["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue)
    return try JSONParser.parse(text)
}

extension ProxyProcess {
    /// Stops the process whatever state it is in: SIGTERM, SIGKILL if it is still there after
    /// `grace`, then SIGKILL for any upstream child it named on stderr that outlived it.
    func stop(grace: Duration = .seconds(3)) async {
        let children = stderr.matches(of: /proxying .*pid=(\d+)/).compactMap { pid_t($0.1) }
        if process.isRunning {
            kill(process.processIdentifier, SIGTERM)
            if await waitForExit(timeout: grace) == nil {
                kill(process.processIdentifier, SIGKILL)
                _ = await waitForExit(timeout: .seconds(2))
            }
        }
        for child in children where !processIsGone(child) { kill(child, SIGKILL) }
    }
}

/// Runs `body`, then stops `processes` (also when `body` threw), so no test leaves a server running.
func stopping<T>(_ processes: [ProxyProcess], _ body: () async throws -> T) async throws -> T {
    do {
        let result = try await body()
        for process in processes { await process.stop() }
        return result
    } catch {
        for process in processes { await process.stop() }
        throw error
    }
}
