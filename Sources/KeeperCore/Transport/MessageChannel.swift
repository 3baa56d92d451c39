/// One side of a JSON-RPC conversation: messages in, messages out, whatever carries them
/// (a stdio pipe, a Streamable HTTP session, an HTTP upstream).
///
/// `inbound` is consumed by exactly one reader.
public protocol MessageChannel: Sendable {
    var name: String { get }
    var inbound: AsyncStream<ChannelEvent> { get }
    /// Delivers one message to the peer.
    func send(_ message: JSONRPCMessage) async throws(TransportError)
    /// Delivers a message sent while serving the peer's request `request` (a question or a notification
    /// about it); Streamable HTTP puts it on that request's stream, so the peer knows what it is about.
    func send(_ message: JSONRPCMessage, relatedTo request: RequestID) async throws(TransportError)
    /// Delivers the answers to one client batch together, as one JSON array (stdio clients of MCP
    /// 2024-11-05 and 2025-03-26). Streamable HTTP answers its batches itself, so there they go one
    /// by one.
    func send(batch answers: [JSONRPCMessage]) async throws(TransportError)
    /// Ends our output (the peer sees EOF); inbound keeps flowing until the peer closes too.
    func closeOutput()
}

/// Appends the newline that frames a message on a stdio transport.
func framed(_ message: [UInt8]) -> [UInt8] {
    var line = message
    line.append(0x0A)
    return line
}

extension MessageChannel {
    public func send(_ message: JSONRPCMessage, relatedTo request: RequestID) async throws(TransportError) { try await send(message) }

    public func send(batch answers: [JSONRPCMessage]) async throws(TransportError) {
        for answer in answers { try await send(answer) }
    }
}

/// A transport that can carry bytes that are not one well-formed message, as they are: only for
/// the sandbox's faults, which must look like a broken server's output.
public protocol RawOutput: Sendable {
    func sendRaw(_ bytes: [UInt8]) async throws(TransportError)
}
