@testable import KeeperCore

/// The session's side of an in-memory pipe to a `PeerEnd`, standing where a stdio or HTTP channel
/// to the client stands in the proxy.
final class MemoryChannel: MessageChannel {
    let name: String
    let inbound: AsyncStream<ChannelEvent>
    let peer: PeerEnd

    init(name: String) {
        self.name = name
        let (stream, continuation) = AsyncStream<ChannelEvent>.makeStream()
        inbound = stream
        peer = PeerEnd(name: name, input: continuation)
    }

    func send(_ message: JSONRPCMessage) async throws(TransportError) {
        guard peer.output.put(message.bytes) else { throw .closed(name) }
    }

    func send(batch answers: [JSONRPCMessage]) async throws(TransportError) {
        guard peer.output.put(JSONRPCBatch.array(answers.map(\.bytes))) else { throw .closed(name) }
    }

    func closeOutput() { peer.output.close() }
}
