/// One side of a newline-delimited JSON-RPC conversation: frames in, lines out.
///
/// The stdio transport of MCP on both sides of the proxy (our own stdin/stdout downstream, a child's
/// pipes upstream) is this shape; `inbound` is consumed by exactly one reader.
public protocol MessageChannel: Sendable {
    var name: String { get }
    var inbound: AsyncStream<ChannelEvent> { get }
    /// Writes one message and its newline.
    func send(_ message: [UInt8]) async throws(ChannelClosedError)
    /// Ends our output (the peer sees EOF); inbound keeps flowing until the peer closes too.
    func closeOutput()
}

extension MessageChannel {
    public func send(_ message: JSONRPCMessage) async throws(ChannelClosedError) {
        try await send(message.bytes)
    }
}

/// Appends the newline that frames a message on a stdio transport.
func framed(_ message: [UInt8]) -> [UInt8] {
    var line = message
    line.append(0x0A)
    return line
}
