import KeeperCore
import Logging

/// One connection to the simulated Notion MCP server: the official server's tool surface over the
/// shared `SandboxState`, on any message channel (stdio, one Streamable HTTP session, or the one
/// channel all stateless modern HTTP requests share), in the era(s) `--protocol` chose.
public actor SandboxServer {
    /// The legacy versions `initialize` negotiates, newest first.
    public static let supportedVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    static let modernVersion = MCPProtocolVersion.v2026_07_28.rawValue
    static let serverInfo: JSONValue = ["name": "notion-sandbox", "title": "Notion MCP sandbox (mcpkeeper)", "version": "1.0.0"]
    static let instructions = "A simulated Notion workspace for testing MCP clients and proxies. Data is in memory and resets on restart."

    /// Every version served under `eras`, modern first: discover's `supportedVersions`, the `supported`
    /// list of an unsupported-version error, and the HTTP listener's accepted `MCP-Protocol-Version`.
    public static func versions(servedBy eras: ServedEras) -> [String] {
        switch eras {
        case .legacy: supportedVersions
        case .modern: [modernVersion]
        case .dual: [modernVersion] + supportedVersions
        }
    }

    let channel: any MessageChannel
    let state: SandboxState
    let logger: Logger
    let eras: ServedEras
    var clientRequests = IDMap<CheckedContinuation<JSONRPCMessage, Never>>()
    var running: [RequestID: Task<Void, Never>] = [:]
    /// The `initialize` params of this connection's legacy session (nil until one opens): the client
    /// capabilities a legacy server may rely on.
    var initializeParams: JSONValue?
    /// Whether `sandbox-change-tools` has added `sandbox-extra`. Per connection, like the
    /// announcement, so no other session's tool list changes behind its back.
    var extraToolListed = false
    /// Descriptions `sandbox-change-tools` rewrote, by tool name (per connection, like `extraToolListed`).
    var rewrittenDescriptions: [String: String] = [:]
    var subscriptions = SandboxSubscriptions()

    public init(state: SandboxState, channel: any MessageChannel, logger: Logger) {
        self.channel = channel
        self.state = state
        self.logger = logger
        eras = state.options.protocolEra
    }

    /// Serves until the client closes its side.
    public func run() async {
        for await event in channel.inbound {
            switch event {
            case .line(let bytes): await receive(bytes)
            case .message(let message): await receive(message)
            // Answered through `send` like every other message: the channel finds the POST by id.
            case .request(let paired): await receive(paired.message, headers: paired.headers)
            case .oversized(let count): await send(.error(id: nil, .invalidRequest("a \(count)-byte message exceeds the line limit")))
            }
        }
        for task in running.values { await task.value }
    }

    private func receive(_ bytes: [UInt8]) async {
        let message: JSONRPCMessage
        do {
            message = try JSONRPCMessage.decode(bytes)
        } catch {
            await send(.error(id: error.id, error.error))
            return
        }
        await receive(message)
    }

    private func receive(_ message: JSONRPCMessage, headers: [String: String] = [:]) async {
        await state.journal(message)
        switch message.kind {
        case .request(let id, let method):
            if await state.received(message, headers: headers) {
                try? await (channel as? any RawOutput)?.sendRaw(Array(#"{"jsonrpc":"2.0","id":"#.utf8))
            }
            running[id] = Task { await answer(message, id: id, method: method) }
        case .notification(let method):
            if method == "notifications/initialized", let count = state.options.floodNotifications {
                running[.string("flood")] = Task { await flood(count) }
            }
            if method == "notifications/cancelled", let id = message.params?["requestId"].flatMap(RequestID.init) {
                if subscriptions.end(id) {
                    logger.info("subscription ended by the client", metadata: ["requestId": "\(id)"])
                }
                guard let task = running.removeValue(forKey: id) else { return }
                task.cancel()
                logger.info("request cancelled by the client", metadata: ["requestId": "\(id)"])
            }
        case .response(let id), .errorResponse(.some(let id), _):
            clientRequests.take(id)?.resume(returning: message)
        case .errorResponse(nil, _):
            logger.warning("client sent an error without an id")
        }
    }

    /// `--flood`: log messages of about 1 KB as fast as the channel takes them, as a chatty server
    /// does to a client that may not keep up.
    private func flood(_ count: Int) async {
        let message = JSONRPCMessage.notification(method: "notifications/message", params: [
            "level": "info", "logger": "sandbox-flood", "data": .string(String(repeating: "f", count: 1000)),
        ])
        // Encoded once and kept as its bytes: the flood must outrun any client, not spend its time encoding.
        guard let encoded = try? JSONRPCMessage.decode(message.bytes) else { return }
        for _ in 0..<count where !Task.isCancelled { try? await channel.send(encoded) }
    }

    /// Answers one request; no reply when it was cancelled meanwhile, or when it stays open (a subscription).
    private func answer(_ message: JSONRPCMessage, id: RequestID, method: String) async {
        let reply = isModern(message, method: method)
            ? await answerModern(message, id: id, method: method)
            : await answerLegacy(message, id: id, method: method)
        guard running.removeValue(forKey: id) != nil, !Task.isCancelled, let reply else { return }
        await send(reply)
    }

    /// The era that answers a request. Under `dual` a request picks its own: modern when it carries the
    /// per-request `_meta` or calls a modern-only method, legacy otherwise (so `initialize` opens a session).
    private func isModern(_ message: JSONRPCMessage, method: String) -> Bool {
        switch eras {
        case .legacy: return false
        case .modern: return true
        case .dual:
            guard method != "initialize" else { return false }
            let meta = message.params?["_meta"]
            return meta?[ModernMeta.protocolVersion] != nil || meta?[ModernMeta.clientCapabilities] != nil
                || Self.modernOnlyMethods.contains(method)
        }
    }

    private func answerLegacy(_ message: JSONRPCMessage, id: RequestID, method: String) async -> JSONRPCMessage {
        switch method {
        case "initialize":
            initializeParams = message.params
            return .response(id: id, result: initializeResult(message.params))
        case "ping": return .response(id: id, result: [:])
        case "tools/list": return toolsList(id: id, cursor: message.params?["cursor"]?.stringValue)
        case "tools/call": return await toolsCall(id: id, params: message.params, era: .legacy)
        default: return Self.methodNotFound(id: id, method: method)
        }
    }

    static func methodNotFound(id: RequestID, method: String) -> JSONRPCMessage {
        .error(id: id, JSONRPCError(code: JSONRPCError.methodNotFoundCode, message: "Method not found: \(method)"))
    }

    private func initializeResult(_ params: JSONValue?) -> JSONValue {
        let requested = params?["protocolVersion"]?.stringValue ?? ""
        let version = Self.supportedVersions.contains(requested) ? requested : Self.supportedVersions[0]
        return [
            "protocolVersion": .string(version),
            "capabilities": capabilities,
            "serverInfo": Self.serverInfo,
            "instructions": .string(Self.instructions),
        ]
    }

    /// Both eras announce the same: tool-list changes only happen through `sandbox-change-tools`.
    var capabilities: JSONValue {
        ["tools": ["listChanged": .bool(state.options.clientRequestTools)]]
    }

    func toolsList(id: RequestID, cursor: String?) -> JSONRPCMessage {
        let listed = SandboxToolCatalog.tools
            + (state.options.clientRequestTools ? SandboxClientRequestTools.tools + SandboxToolListChange.tools(extraListed: extraToolListed) : [])
            + (state.options.clientRequestTools && state.options.protocolEra != .legacy ? SandboxHeaderTools.tools : [])
            + (state.options.bigResultBytes != nil ? SandboxBigResultTool.tools : [])
        let all = listed.map { tool in
            guard let name = tool["name"]?.stringValue, let description = rewrittenDescriptions[name], case .object(var object) = tool else { return tool }
            object["description"] = .string(description)
            return JSONValue.object(object)
        }
        guard let pageSize = state.options.toolsPageSize else {
            return .response(id: id, result: ["tools": .array(all)])
        }
        let start: Int
        if let cursor {
            guard let offset = Int(cursor.dropFirst("page-".count)), cursor.hasPrefix("page-"), (0...all.count).contains(offset) else {
                return .error(id: id, JSONRPCError(code: JSONRPCError.invalidParamsCode, message: "Invalid cursor \"\(cursor)\""))
            }
            start = offset
        } else {
            start = 0
        }
        let end = min(start + pageSize, all.count)
        var result: JSONObject = ["tools": .array(Array(all[start..<end]))]
        if end < all.count { result["nextCursor"] = .string("page-\(end)") }
        return .response(id: id, result: .object(result))
    }

    /// Awaited by each sender, so one task's messages leave in the order it sent them.
    func send(_ message: JSONRPCMessage) async {
        try? await channel.send(message)
    }
}
