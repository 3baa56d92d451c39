/// JSON-RPC batches from the client, as the negotiated version has them: MCP 2024-11-05 and
/// 2025-03-26 receive them (each message handled on its own, the answers sent back together as one
/// array); later versions and the modern era removed them, so each request in one is refused under
/// its own id, and nothing in it is forwarded.
extension ProxySession {
    /// Versions whose servers must receive batches.
    static let batchingVersions: Set<MCPProtocolVersion> = [.v2024_11_05, .v2025_03_26]

    /// The answers still owed to one batch, and those already in.
    struct PendingBatch: Sendable {
        var waiting: Set<RequestID>
        var answers: [[UInt8]] = []
    }

    func handleBatch(_ bytes: [UInt8]) async {
        guard case .array(let items)? = try? JSONParser.parse(bytes), !items.isEmpty else {
            await answerClient(.error(id: nil, .invalidRequest("A batch must be a non-empty JSON array of JSON-RPC messages")))
            return
        }
        // A client that pipelines its batch behind initialize gets the version it asked for, which a
        // server that speaks it agrees to.
        let requested = handshake?.params?["protocolVersion"]?.stringValue.flatMap(MCPProtocolVersion.init)
        let version = tools.negotiatedVersion ?? requested ?? .latestLegacy
        let requestIDs = items.compactMap { item -> RequestID? in
            guard item["method"] != nil, let id = item["id"] else { return nil }
            return RequestID(id)
        }
        guard handshake?.initialized == true, Self.batchingVersions.contains(version) else {
            let refusal = handshake?.initialized == true
                ? "JSON-RPC batches are not part of MCP \(version.rawValue), the version this session negotiated; send each message on its own line"
                : "A batch cannot open a session: send initialize on its own line first"
            if requestIDs.isEmpty { await answerClient(.error(id: nil, .invalidRequest(refusal))) }
            for id in requestIDs { await answerClient(.error(id: id, .invalidRequest(refusal))) }
            return
        }
        if !requestIDs.isEmpty { batches.append(PendingBatch(waiting: Set(requestIDs))) }
        for item in items { await handleFromClient(Array(item.serialized().utf8)) }
    }

    /// Keeps an answer that belongs to a batch until the batch is complete; false when it belongs to none.
    func collectForBatch(_ message: JSONRPCMessage) async -> Bool {
        guard let id = message.id, message.kind.isResponse,
              let index = batches.firstIndex(where: { $0.waiting.contains(id) }) else { return false }
        batches[index].waiting.remove(id)
        batches[index].answers.append(message.bytes)
        guard batches[index].waiting.isEmpty else { return true }
        let batch = batches.remove(at: index)
        do { try await downstream.sendUnparsed(JSONRPCBatch.array(batch.answers)) } catch { logger.debug("client output closed; batch answer dropped") }
        return true
    }
}
