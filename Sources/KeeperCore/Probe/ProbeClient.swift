/// A minimal MCP client over one upstream link, for probes: it sends requests, waits for their
/// answers, and answers the server's own pings and requests so a server never waits on the probe.
actor ProbeClient {
    let link: any UpstreamLink
    private var nextID = 1
    private var waiting: [Int: CheckedContinuation<JSONRPCMessage, any Error>] = [:]
    private var reader: Task<Void, Never>?
    private var closedReason: String?

    init(link: any UpstreamLink) {
        self.link = link
    }

    func start() {
        reader = Task { await read() }
    }

    /// Sends a request and returns the response (result or error message); a cancelled probe stops
    /// waiting at once.
    func request(_ method: String, params: JSONValue? = nil) async throws -> JSONRPCMessage {
        let id = nextID
        nextID += 1
        if let closedReason { throw ServerEnded(reason: closedReason) }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                waiting[id] = continuation
                Task { await self.send(.request(id: RequestID(id), method: method, params: params), id: id) }
            }
        } onCancel: {
            Task { await self.giveUp(id) }
        }
    }

    private func giveUp(_ id: Int) {
        waiting.removeValue(forKey: id)?.resume(throwing: CancellationError())
    }

    func notify(_ method: String) async {
        try? await link.send(.notification(method: method))
    }

    private func send(_ message: JSONRPCMessage, id: Int) async {
        do {
            try await link.send(message)
        } catch {
            waiting.removeValue(forKey: id)?.resume(throwing: error)
        }
    }

    private func read() async {
        for await event in link.inbound {
            guard let message = event.decodedMessage else { continue }
            switch message.kind {
            case .response(let id), .errorResponse(.some(let id), _):
                if let key = id.json.intValue { waiting.removeValue(forKey: key)?.resume(returning: message) }
            case .request(let id, let method):
                let answer: JSONRPCMessage = method == "ping"
                    ? .response(id: id, result: [:])
                    : .error(id: id, JSONRPCError(code: JSONRPCError.methodNotFoundCode, message: "The probe does not handle \(method)"))
                try? await link.send(answer)
            default:
                break
            }
        }
        closedReason = await link.endDescription()
        for continuation in waiting.values {
            continuation.resume(throwing: ServerEnded(reason: closedReason ?? "closed"))
        }
        waiting.removeAll()
    }

    func close(grace: Duration) async {
        _ = await link.shutdown(grace: grace)
        reader?.cancel()
    }
}

/// The server went away while the probe waited for an answer.
struct ServerEnded: Error, CustomStringConvertible {
    let reason: String
    var description: String { "the server ended (\(reason))" }
}
