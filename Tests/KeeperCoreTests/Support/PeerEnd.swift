@testable import KeeperCore
import Testing

/// The test's end of an in-memory channel: it plays the client or the upstream server, sending
/// what the session is to read and reading what the session sent, one message at a time.
final class PeerEnd: Sendable {
    let name: String
    private let input: AsyncStream<ChannelEvent>.Continuation
    /// Lines the session sent, as they would cross a pipe.
    let output = AsyncQueue<[UInt8]>()

    init(name: String, input: AsyncStream<ChannelEvent>.Continuation) {
        self.name = name
        self.input = input
    }

    /// Headers that came with each request the session sent as an exchange (on an upstream's end).
    let requestHeaders = AsyncQueue<[String: String]>()

    func send(_ message: JSONRPCMessage) { input.yield(.line(message.bytes)) }

    /// Sends a request as an HTTP listener hands one over, with its own way back: its answer is
    /// put on the queue returned, not on `output`.
    func sendPaired(_ message: JSONRPCMessage, headers: [String: String] = [:]) -> AsyncQueue<JSONRPCMessage> {
        let answers = AsyncQueue<JSONRPCMessage>()
        input.yield(.request(PairedRequest(message: message, headers: headers, reply: AnswerRoute { answers.put($0) })))
        return answers
    }

    /// Sends bytes as they are, valid JSON-RPC or not.
    func send(raw text: String) { input.yield(.line(Array(text.utf8))) }

    /// Ends what the session reads (EOF); the peer may still receive.
    func closeInput() { input.finish() }

    /// The peer is gone: the session reads EOF and its sends fail.
    func hangUp() {
        input.finish()
        output.close()
    }

    /// The next message the session sent; nil once the session closed its output and all is read
    /// (or the test was cancelled while waiting).
    func next() async throws -> JSONRPCMessage? {
        guard let line = await output.next() else { return nil }
        return try JSONRPCMessage.decode(line)
    }

    /// The next message the session sent, which must be there.
    func receive(sourceLocation: SourceLocation = #_sourceLocation) async throws -> JSONRPCMessage {
        try #require(try await next(), "\(name): nothing more came from the session", sourceLocation: sourceLocation)
    }

    /// Messages already sent by the session and not yet read, without waiting.
    func unread() throws -> [JSONRPCMessage] {
        try output.drain().map { try JSONRPCMessage.decode($0) }
    }
}
