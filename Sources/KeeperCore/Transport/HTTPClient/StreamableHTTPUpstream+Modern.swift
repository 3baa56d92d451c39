/// The modern era (2026-07-28) on the same endpoint: no session, the version and method as headers on
/// every POST, and cancellation by closing the request's response stream.
extension StreamableHTTPUpstream {
    func sendModern(_ message: JSONRPCMessage, version: String, headers forwarded: [(name: String, value: String)],
                    paired: Bool) async throws(TransportError) -> JSONRPCMessage? {
        let headers = ModernHTTPHeaders.standard(for: message) + forwarded + TraceContextCarrier.headers(of: message)
        let id = message.kind.requestID
        if let id { state.withLock { _ = $0.modernWaiting.insert(id) } }
        defer { if let id { state.withLock { _ = $0.modernWaiting.remove(id) } } }
        return try await post(message.bytes, expecting: id, headers: headers, modern: true, paired: paired)
    }

    /// A cancellation of a modern request is not sent: the request's response stream is closed instead,
    /// which is how the modern era cancels over HTTP (a POST still waiting for its answer is closed by
    /// its sender's task, which the session cancels first). False when it is not a modern request in flight.
    func cancelModernStream(_ cancellation: JSONRPCMessage) -> Bool {
        guard let id = cancellation.params?["requestId"].flatMap(RequestID.init) else { return false }
        let (task, waiting) = state.withLock { s -> (Task<Void, Never>?, Bool) in
            let task = s.modernStreams.removeValue(forKey: id).flatMap { s.tasks.removeValue(forKey: $0) }
            return (task, s.modernWaiting.contains(id))
        }
        task?.cancel()
        return task != nil || waiting
    }
}
