import KeeperCore
import Logging
import Testing

/// Each message is parsed once per direction: the HTTP transports hand the session what they
/// decoded, instead of a line the session would parse again.
@Suite("HTTP transports hand the session decoded messages")
struct DecodedOnceTests {
    private static let quiet = Logger(label: "decoded-once-tests", factory: { _ in SwiftLogNoOpLogHandler() })

    @Test("an HTTP upstream's JSON answer arrives as the message it decoded, with its bytes as sent")
    func upstreamAnswer() async throws {
        let server = try RawHTTPUpstream.minimalMCP()
        let upstream = StreamableHTTPUpstream(name: "raw", settings: HTTPUpstreamSettings(url: "http://127.0.0.1:\(server.port)/mcp"),
                                              logger: Self.quiet)
        try await upstream.send(.request(id: RequestID(1), method: "initialize", params: [
            "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "test", "version": "1"],
        ]))
        var events = upstream.inbound.makeAsyncIterator()
        let event = await events.next()
        guard case .message(let answer)? = event else {
            Issue.record("expected a decoded message, got \(String(describing: event))")
            return
        }
        #expect(answer.id == RequestID(1))
        #expect(String(decoding: answer.bytes, as: UTF8.self).hasPrefix(#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18""#))
        _ = await upstream.shutdown(grace: .milliseconds(100))
    }

    @Test("a request sent as a pair gets its JSON answer back from the POST, with its headers sent along, and nothing on inbound")
    func pairedAnswer() async throws {
        // The server names itself after the header it got, so the answer shows what was sent.
        let server = try RawHTTPUpstream { request in
            let id = (try? JSONParser.parse(String(decoding: request.body, as: UTF8.self)))?["id"]?.intValue ?? 0
            let region = request.header("mcp-param-region") ?? "none"
            return RawHTTPUpstream.Answer(headers: ["Mcp-Session-Id: raw-1"], body: #"{"jsonrpc":"2.0","id":\#(id),"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"\#(region)","version":"1"}}}"#)
        }
        let upstream = StreamableHTTPUpstream(name: "raw", settings: HTTPUpstreamSettings(url: "http://127.0.0.1:\(server.port)/mcp"),
                                              logger: Self.quiet)
        let answer = try await upstream.exchange(.request(id: RequestID(7), method: "initialize", params: [
            "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "test", "version": "1"],
        ]), headers: ["Mcp-Param-Region": "eu-west"])
        #expect(answer?.id == RequestID(7))
        #expect(answer?.result?["serverInfo"]?["name"] == "eu-west")
        // The answer went to its sender only: the next thing on inbound is the end of the link.
        _ = await upstream.shutdown(grace: .milliseconds(100))
        var events = upstream.inbound.makeAsyncIterator()
        let leftover = await events.next()
        #expect(leftover == nil, "the paired answer also went onto inbound: \(String(describing: leftover))")
    }

    @Test("a body that is not JSON-RPC still reaches the session as its bytes, to be reported")
    func malformedAnswer() async throws {
        let server = try RawHTTPUpstream { request in
            guard String(decoding: request.body, as: UTF8.self).contains(#""method":"initialize""#) else {
                return RawHTTPUpstream.Answer(body: #"{"jsonrpc":"2.0","method":"#)
            }
            return RawHTTPUpstream.Answer(headers: ["Mcp-Session-Id: raw-1"], body: #"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{},"serverInfo":{"name":"raw","version":"1"}}}"#)
        }
        let upstream = StreamableHTTPUpstream(name: "raw", settings: HTTPUpstreamSettings(url: "http://127.0.0.1:\(server.port)/mcp"),
                                              logger: Self.quiet)
        try await upstream.send(.request(id: RequestID(1), method: "initialize", params: [
            "protocolVersion": "2025-06-18", "capabilities": [:], "clientInfo": ["name": "test", "version": "1"],
        ]))
        try await upstream.send(.notification(method: "notifications/initialized"))
        // The initialize answer and the notification's body, in whichever order the two arrive.
        var events = upstream.inbound.makeAsyncIterator()
        var lines: [[UInt8]] = []
        var messages: [RequestID?] = []
        for _ in 0..<2 {
            switch await events.next() {
            case .line(let bytes)?: lines.append(bytes)
            case .message(let message)?: messages.append(message.id)
            default: break
            }
        }
        #expect(messages == [RequestID(1)])
        #expect(lines == [Array(#"{"jsonrpc":"2.0","method":"#.utf8)])
        _ = await upstream.shutdown(grace: .milliseconds(100))
    }
}
