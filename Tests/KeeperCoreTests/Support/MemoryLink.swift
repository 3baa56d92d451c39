@testable import KeeperCore
import Synchronization

/// An upstream link over an in-memory pipe: the test's `PeerEnd` plays the server. The session's
/// `shutdown` ends the pipe both ways, as a child's exit would; the peer's `hangUp` is the server dying.
final class MemoryLink: UpstreamLink {
    private let channel: MemoryChannel
    private let stoppedByProxy = Mutex(false)

    private let refusals: SendRefusals

    init(name: String, refusals: SendRefusals = SendRefusals()) {
        channel = MemoryChannel(name: name)
        self.refusals = refusals
    }

    var peer: PeerEnd { channel.peer }
    var name: String { channel.name }
    var inbound: AsyncStream<ChannelEvent> { channel.inbound }

    func send(_ message: JSONRPCMessage) async throws(TransportError) {
        if let refusal = refusals.take(for: message.method) { throw refusal }
        try await channel.send(message)
    }
    func exchange(_ request: JSONRPCMessage, headers: [String: String]) async throws(TransportError) -> JSONRPCMessage? {
        try await send(request)
        peer.requestHeaders.put(headers)
        return nil
    }

    func closeOutput() { channel.closeOutput() }

    func shutdown(grace: Duration) async -> String {
        stoppedByProxy.withLock { $0 = true }
        peer.hangUp()
        return "stopped by mcpkeeper"
    }

    func endDescription() async -> String {
        stoppedByProxy.withLock { $0 } ? "stopped by mcpkeeper" : "the in-memory upstream hung up"
    }
}
