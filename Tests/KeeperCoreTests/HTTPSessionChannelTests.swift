@testable import KeeperCore
import Testing

@Suite("An HTTP session channel hands the session what the listener decoded", .timeLimit(.minutes(1)))
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

    @Test("a POSTed request arrives paired with its POST's stream, and its answer goes there only while that stream waits under the id")
    func pairedAnswer() async throws {
        let channel = HTTPSessionChannel(sessionID: "s2")
        let request = JSONRPCMessage.request(id: RequestID(1), method: "tools/list")
        let first = try #require(channel.openRequestStream(for: request, id: RequestID(1), acceptsJSON: true))
        channel.receive(request, id: RequestID(1), answeringOn: first)
        var events = channel.inbound.makeAsyncIterator()
        guard case .request(let paired)? = await events.next() else {
            Issue.record("expected the request with its way back")
            return
        }
        #expect(paired.message.kind == request.kind)

        // Answered by id through `send` (as the sandbox answers), then the id is used again.
        try await channel.send(.response(id: RequestID(1), result: ["tools": []]))
        guard case .json(let sent, _) = await first.start() else { Issue.record("the first POST got no JSON answer"); return }
        #expect(try JSONRPCMessage.decode(sent).result?["tools"] == [])
        let second = try #require(channel.openRequestStream(for: request, id: RequestID(1), acceptsJSON: true))

        // A late answer on the first pair's route must not end the second POST.
        paired.reply.answer(.response(id: RequestID(1), result: ["stale": true]))
        try #require(channel.usage.requestsInFlight == 1, "the stale answer ended the second POST")
        try await channel.send(.response(id: RequestID(1), result: ["fresh": true]))
        guard case .json(let answer, _) = await second.start() else { Issue.record("the second POST got no JSON answer"); return }
        #expect(try JSONRPCMessage.decode(answer).result?["fresh"] == true)
    }
}
