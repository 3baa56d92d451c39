/// JSON-RPC batches from a stdio client, as the negotiated version has them: MCP 2024-11-05 and
/// 2025-03-26 receive them (each message handled on its own, the answers sent back together as one
/// array); later versions and the modern era removed them, so each request in one is refused under
/// its own id, and nothing in it is forwarded. (Streamable HTTP has its own: `StreamableHTTPServer+Batches`.)
struct ClientBatches: Sendable {
    /// Versions whose servers must receive batches.
    static let batchingVersions: Set<MCPProtocolVersion> = [.v2024_11_05, .v2025_03_26]

    /// What to do with a batch the client sent.
    enum Opening: Sendable {
        /// Handle each member as if it came on its own line.
        case members([[UInt8]])
        /// Send these answers; nothing in the batch goes upstream.
        case refused([JSONRPCMessage])
    }

    /// What an answer to the client turned out to be.
    enum Collected: Sendable {
        /// Not part of any batch: send it as it is.
        case single
        /// Kept until the rest of its batch is in.
        case held
        /// The last answer of its batch: send the batch's answers, in the order they came, together.
        case complete([JSONRPCMessage])
    }

    /// The answers still owed to one batch, and those already in.
    private struct Pending: Sendable {
        var waiting: Set<RequestID>
        var answers: [JSONRPCMessage] = []
    }

    private var pending: [Pending] = []

    /// Opens a batch. `negotiated` is the version the session agreed on, `requested` the one the
    /// client's initialize asked for (a batch pipelined behind it gets that one).
    mutating func open(_ bytes: [UInt8], initialized: Bool, negotiated: MCPProtocolVersion?,
                       requested: MCPProtocolVersion?) -> Opening {
        guard case .array(let items)? = try? JSONParser.parse(bytes), !items.isEmpty else {
            return .refused([.error(id: nil, .invalidRequest("A batch must be a non-empty JSON array of JSON-RPC messages"))])
        }
        let version = negotiated ?? requested ?? .latestLegacy
        let requestIDs = items.compactMap { item -> RequestID? in
            guard item["method"] != nil, let id = item["id"] else { return nil }
            return RequestID(id)
        }
        guard initialized, Self.batchingVersions.contains(version) else {
            let refusal = initialized
                ? "JSON-RPC batches are not part of MCP \(version.rawValue), the version this session negotiated; send each message on its own line"
                : "A batch cannot open a session: send initialize on its own line first"
            if requestIDs.isEmpty { return .refused([.error(id: nil, .invalidRequest(refusal))]) }
            return .refused(requestIDs.map { .error(id: $0, .invalidRequest(refusal)) })
        }
        if !requestIDs.isEmpty { pending.append(Pending(waiting: Set(requestIDs))) }
        return .members(items.map { Array($0.serialized().utf8) })
    }

    /// Takes an answer on its way to the client: keeps it while its batch is incomplete.
    mutating func collect(_ message: JSONRPCMessage) -> Collected {
        guard !pending.isEmpty, let id = message.id, message.kind.isResponse,
              let index = pending.firstIndex(where: { $0.waiting.contains(id) }) else { return .single }
        pending[index].waiting.remove(id)
        pending[index].answers.append(message)
        guard pending[index].waiting.isEmpty else { return .held }
        return .complete(pending.remove(at: index).answers)
    }
}
