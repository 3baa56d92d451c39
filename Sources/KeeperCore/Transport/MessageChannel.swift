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
    /// Delivers bytes as they are, not one message: a stdio batch's answers as one array, or the
    /// sandbox's malformed-output fault.
    func sendUnparsed(_ bytes: [UInt8]) async throws(TransportError)
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
}
