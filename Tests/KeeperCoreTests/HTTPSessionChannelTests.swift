@testable import KeeperCore
import Testing

@Suite("An HTTP session channel hands the session what the listener decoded")
struct HTTPSessionChannelTests {
    @Test("a POSTed message arrives as the decoded message, not as a line to parse again")
    func decodedOnce() async throws {
        let channel = HTTPSessionChannel(sessionID: "s1")
        let posted = try JSONRPCMessage.decode(Array(#"{"jsonrpc":"2.0","id":"a","method":"tools/list"}"#.utf8))
        channel.receive(posted)
        var events = channel.inbound.makeAsyncIterator()
        guard case .message(let message)? = await events.next() else {
            Issue.record("expected the decoded message")
            return
        }
        #expect(message.kind == .request(id: .string("a"), method: "tools/list"))
        #expect(message.bytes == posted.bytes)
    }
}
