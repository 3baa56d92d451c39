import KeeperCore
import Logging

/// One connection to the simulated Notion MCP server: the official server's tool surface over the
/// shared `SandboxState`, on any message channel (stdio, or one Streamable HTTP session).
public actor SandboxServer {
    public static let supportedVersions = ["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]
    static let serverInfo: JSONValue = ["name": "notion-sandbox", "title": "Notion MCP sandbox (mcpkeeper)", "version": "1.0.0"]

    let channel: any MessageChannel
    let state: SandboxState
    let logger: Logger
    var clientRequests = IDMap<CheckedContinuation<JSONRPCMessage, Never>>()
    var running: [RequestID: Task<Void, Never>] = [:]

    public init(state: SandboxState, channel: any MessageChannel, logger: Logger) {
        self.channel = channel
        self.state = state
        self.logger = logger
    }

    /// Serves until the client closes its side.
    public func run() async {
        for await event in channel.inbound {
            switch event {
            case .line(let bytes): await receive(bytes)
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
        switch message.kind {
        case .request(let id, let method):
            if await state.received(message) {
                try? await channel.sendUnparsed(Array(#"{"jsonrpc":"2.0","id":"#.utf8))
            }
            running[id] = Task { await answer(message, id: id, method: method) }
        case .notification(let method):
            if method == "notifications/cancelled", let id = message.params?["requestId"].flatMap(RequestID.init) {
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

    private func answer(_ message: JSONRPCMessage, id: RequestID, method: String) async {
        let reply: JSONRPCMessage
        switch method {
        case "initialize": reply = .response(id: id, result: initializeResult(message.params))
        case "ping": reply = .response(id: id, result: [:])
        case "tools/list": reply = toolsList(id: id, cursor: message.params?["cursor"]?.stringValue)
        case "tools/call": reply = await toolsCall(id: id, params: message.params)
        default:
            reply = .error(id: id, JSONRPCError(code: JSONRPCError.methodNotFoundCode, message: "Method not found: \(method)"))
        }
        guard running.removeValue(forKey: id) != nil, !Task.isCancelled else { return }
        await send(reply)
    }

    private func initializeResult(_ params: JSONValue?) -> JSONValue {
        let requested = params?["protocolVersion"]?.stringValue ?? ""
        let version = Self.supportedVersions.contains(requested) ? requested : Self.supportedVersions[0]
        return [
            "protocolVersion": .string(version),
            "capabilities": ["tools": ["listChanged": false]],
            "serverInfo": Self.serverInfo,
            "instructions": "A simulated Notion workspace for testing MCP clients and proxies. Data is in memory and resets on restart.",
        ]
    }

    private func toolsList(id: RequestID, cursor: String?) -> JSONRPCMessage {
        let all = SandboxToolCatalog.tools + (state.options.clientRequestTools ? SandboxClientRequestTools.tools : [])
            + (state.options.bigResultBytes != nil ? SandboxBigResultTool.tools : [])
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
