/// The modern era (2026-07-28) on the same endpoint: no session, the version and method as headers on
/// every POST, and cancellation by closing the request's response stream.
extension StreamableHTTPUpstream {
    func sendModern(_ message: JSONRPCMessage, version: String) async throws(TransportError) {
        let headers = ModernHTTPHeaders.standard(for: message) + message.forwardedHeaders.map { (name: $0.key, value: $0.value) }
        try await post(message.bytes, expecting: message.kind.requestID, headers: headers, modern: true)
    }

    /// A cancellation of a modern request is not sent: the request's response stream is closed instead,
    /// which is how the modern era cancels over HTTP. False when the request is not a modern one in flight.
    func cancelModernStream(_ cancellation: JSONRPCMessage) -> Bool {
        guard let id = cancellation.params?["requestId"].flatMap(RequestID.init) else { return false }
        let task = state.withLock { s -> Task<Void, Never>? in
            guard let key = s.modernStreams.removeValue(forKey: id) else { return nil }
            return s.tasks.removeValue(forKey: key)
        }
        task?.cancel()
        return task != nil
    }
}
