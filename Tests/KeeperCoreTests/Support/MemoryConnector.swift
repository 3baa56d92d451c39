@testable import KeeperCore
import Testing

/// A `ProxySession.Connector` that opens a new `MemoryLink` each time, and hands the test the
/// server end of each, in the order they were opened.
final class MemoryConnector: Sendable {
    let name: String
    /// Server ends of the links opened so far and not yet taken by the test.
    let opened = AsyncQueue<PeerEnd>()
    /// What the links refuse to take, whichever link is open then.
    let refusals = SendRefusals()

    init(name: String) { self.name = name }

    func connect() -> any UpstreamLink {
        let link = MemoryLink(name: name, refusals: refusals)
        opened.put(link.peer)
        return link
    }

    /// The server end of the next link the session opens, waiting until it does.
    func nextServer() async throws -> PeerEnd {
        try #require(await opened.next(), "the connector was closed")
    }
}
