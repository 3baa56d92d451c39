import AsyncHTTPClient
import Foundation
import KeeperCore
import NIOCore
import Synchronization
import Testing

/// An MCP client of one era on one transport, for the era tests. It speaks its era's way (the
/// `initialize` handshake, or per-request `_meta` and, on HTTP, the modern headers), answers what the
/// server asks (legacy server-to-client requests, or input-required results by retrying with the
/// answers), and checks every message it receives against the official schema of its version.
final class EraTestClient: Sendable {
    enum Link: Sendable {
        case stdio(ProxyProcess)
        case http(URL)
    }

    static let legacyVersion = MCPProtocolVersion.latestLegacy.rawValue
    static let modernVersion = MCPProtocolVersion.v2026_07_28.rawValue
    static let capabilities: JSONValue = ["roots": [:], "elicitation": ["form": [:]]]
    static let roots: JSONValue = ["roots": [["uri": "file:///era-test", "name": "era-test"]]]
    static let confirmation: JSONValue = ["action": "accept", "content": ["confirm": true]]

    let era: ProtocolEra
    let link: Link
    private let state = Mutex(State())

    private struct State {
        var nextID = 100
        var sessionID: String?
        /// Notifications received, in order.
        var notifications: [JSONValue] = []
        /// Questions the server asked (legacy requests, or modern input requests), by method.
        var questions: [String] = []
    }

    init(era: ProtocolEra, link: Link) {
        self.era = era
        self.link = link
    }

    var version: String { era == .modern ? Self.modernVersion : Self.legacyVersion }
    var notifications: [JSONValue] { state.withLock { $0.notifications } }
    var questions: [String] { state.withLock { $0.questions } }

    /// The modern `_meta` of every request.
    static var meta: JSONValue {
        [ModernMeta.protocolVersion: .string(modernVersion), ModernMeta.clientCapabilities: capabilities,
         ModernMeta.clientInfo: ["name": "era-test", "version": "1.0"]]
    }

    /// Opens the conversation: `initialize` + `notifications/initialized`, or `server/discover`.
    @discardableResult
    func start() async throws -> JSONValue {
        if era == .modern { return try await call("server/discover") }
        let answer = try await call("initialize", ["protocolVersion": .string(Self.legacyVersion), "capabilities": Self.capabilities,
                                                   "clientInfo": ["name": "era-test", "version": "1.0"]])
        try await notify("notifications/initialized")
        return answer
    }

    /// One request, answered: a modern client retries input-required results with the answers until
    /// the result is complete; a legacy one answers the server's requests as they come.
    func call(_ method: String, _ params: JSONObject = [:], sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONValue {
        var params = params
        for _ in 0..<5 {
            var sent = params
            if era == .modern { sent["_meta"] = Self.meta }
            let answer = try await exchange(method, .object(sent), sourceLocation: sourceLocation)
            guard era == .modern, answer["result"]?["resultType"] == "input_required" else { return answer }
            var responses = JSONObject()
            for (name, request) in answer["result"]?["inputRequests"]?.objectValue ?? [:] {
                let question = request["method"]?.stringValue ?? ""
                state.withLock { $0.questions.append(question) }
                responses[name] = Self.answer(question)
            }
            params["inputResponses"] = .object(responses)
            params["requestState"] = answer["result"]?["requestState"]
        }
        throw HarnessError("\(method) still needed input after 5 rounds")
    }

    /// What this client answers to a server's question.
    static func answer(_ method: String) -> JSONValue {
        switch method {
        case "roots/list": return roots
        case "elicitation/create": return confirmation
        default: return [:]
        }
    }

    func notify(_ method: String, _ params: JSONValue? = nil) async throws {
        var message: JSONObject = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { message["params"] = params }
        switch link {
        case .stdio(let proxy): proxy.send(.object(message))
        case .http: _ = try await post(.object(message), method: method) { _ in }
        }
    }

    private func exchange(_ method: String, _ params: JSONValue, sourceLocation: SourceLocation) async throws -> JSONValue {
        let id = state.withLock { s -> Int in
            defer { s.nextID += 1 }
            return s.nextID
        }
        let request: JSONValue = ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method), "params": params]
        var answer: JSONValue?
        let receive: @Sendable (JSONValue) async throws -> Void = { message in
            SchemaOracle.expectValid(message, answering: method, version: self.version, sourceLocation: sourceLocation)
            try await self.received(message)
        }
        switch link {
        case .stdio(let proxy):
            proxy.send(request)
            while answer == nil {
                let message = try await proxy.next()
                if message["id"] == .number(JSONNumber(id)), message["method"] == nil { answer = message } else { try await receive(message) }
            }
        case .http:
            let messages = try await post(request, method: method, receive)
            answer = messages.last { $0["id"] == .number(JSONNumber(id)) && $0["method"] == nil }
        }
        guard let answer else { throw HarnessError("no answer to \(method)") }
        SchemaOracle.expectValid(answer, answering: method, version: version, sourceLocation: sourceLocation)
        return answer
    }

    /// An open `subscriptions/listen` (modern) or GET stream (legacy HTTP), until `end()`.
    struct Listening: Sendable {
        let id: Int
        let stream: Task<Void, Never>?
    }

    /// Opens what carries change notifications: a subscription to tool list changes (modern), or the
    /// GET stream (legacy over HTTP; over stdio they simply arrive on the channel).
    func listen() async throws -> Listening {
        let id = state.withLock { s -> Int in
            defer { s.nextID += 1 }
            return s.nextID
        }
        let receive: @Sendable (JSONValue) async throws -> Void = { message in
            SchemaOracle.expectValid(message, answering: "subscriptions/listen", version: self.version)
            try await self.received(message)
        }
        if era == .legacy {
            guard case .http(let url) = link, let session = state.withLock({ $0.sessionID }) else { return Listening(id: id, stream: nil) }
            var request = HTTPClientRequest(url: url.absoluteString)
            request.headers.replaceOrAdd(name: "Accept", value: "text/event-stream")
            request.headers.replaceOrAdd(name: "Mcp-Session-Id", value: session)
            request.headers.replaceOrAdd(name: "MCP-Protocol-Version", value: Self.legacyVersion)
            return Listening(id: id, stream: Task { _ = try? await self.read(request, receive) })
        }
        let request: JSONValue = ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": "subscriptions/listen",
                                  "params": ["_meta": Self.meta, "notifications": ["toolsListChanged": true]]]
        switch link {
        case .stdio(let proxy):
            proxy.send(request)
            return Listening(id: id, stream: nil)
        case .http:
            return Listening(id: id, stream: Task { _ = try? await self.post(request, method: "subscriptions/listen", receive) })
        }
    }

    /// Ends a subscription the way its transport does: closing the stream, or `notifications/cancelled`.
    func end(_ listening: Listening) async throws {
        if let stream = listening.stream {
            stream.cancel()
        } else if era == .modern {
            try await notify("notifications/cancelled", ["requestId": .number(JSONNumber(listening.id))])
        }
    }

    /// Waits for a notification of `method`; over stdio, requests keep the channel read meanwhile.
    func awaitNotification(_ method: String, timeout: Duration = .seconds(10)) async throws -> JSONValue {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let found = notifications.first(where: { $0["method"]?.stringValue == method }) { return found }
            if case .stdio = link { _ = try await call("tools/list") } else { try await Task.sleep(for: .milliseconds(50)) }
        }
        throw HarnessError("no \(method) within \(timeout); got \(notifications)")
    }

    /// A message that is not the awaited answer: a server request is answered, a notification kept.
    private func received(_ message: JSONValue) async throws {
        guard let method = message["method"]?.stringValue else { return }
        guard let id = message["id"] else {
            state.withLock { $0.notifications.append(message) }
            return
        }
        state.withLock { $0.questions.append(method) }
        let response: JSONValue = ["jsonrpc": "2.0", "id": id, "result": Self.answer(method)]
        switch link {
        case .stdio(let proxy): proxy.send(response)
        case .http: _ = try await post(response, method: nil) { _ in }
        }
    }

    // MARK: HTTP

    /// The headers of this client's era for `message`.
    private func headers(for message: JSONValue, method: String?) -> [(String, String)] {
        var headers = [("Content-Type", "application/json"), ("Accept", "application/json, text/event-stream")]
        if era == .modern {
            headers.append(("MCP-Protocol-Version", Self.modernVersion))
            if let method {
                headers.append(("Mcp-Method", method))
                if let name = message["params"]?["name"]?.stringValue { headers.append(("Mcp-Name", ModernHTTPHeaders.encode(name))) }
            }
        } else {
            headers.append(("MCP-Protocol-Version", Self.legacyVersion))
            if let session = state.withLock({ $0.sessionID }) { headers.append(("Mcp-Session-Id", session)) }
        }
        return headers
    }

    /// POSTs one message; a JSON answer is returned, an SSE answer is read event by event (each handed
    /// to `receive` as it comes, so server requests are answered while the stream is open).
    @discardableResult
    func post(_ message: JSONValue, method: String?, _ receive: @escaping @Sendable (JSONValue) async throws -> Void) async throws -> [JSONValue] {
        guard case .http(let url) = link else { return [] }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .POST
        for (name, value) in headers(for: message, method: method) { request.headers.replaceOrAdd(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: Array(message.serialized().utf8)))
        return try await read(request, receive)
    }

    private func read(_ request: HTTPClientRequest, _ receive: @escaping @Sendable (JSONValue) async throws -> Void) async throws -> [JSONValue] {
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(15))
        if let session = response.headers.first(name: "Mcp-Session-Id") { state.withLock { $0.sessionID = session } }
        let isStream = response.headers.first(name: "Content-Type")?.hasPrefix("text/event-stream") ?? false
        guard isStream else {
            let body = try await HTTPTransfer.collect(response.body, timeout: .seconds(15))
            guard !body.isEmpty else { return [] }
            return [try JSONParser.parse(body)]
        }
        var decoder = SSEDecoder()
        var messages: [JSONValue] = []
        for try await chunk in response.body {
            for event in decoder.feed(chunk.readableBytesView) where !event.data.isEmpty {
                let message = try JSONParser.parse(Array(event.data.utf8))
                messages.append(message)
                if message["method"] != nil { try await receive(message) }
            }
        }
        return messages
    }
}
