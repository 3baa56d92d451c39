import Foundation
import KeeperCore
import Testing

@Suite("SSE streams cut by the sandbox (--cut-stream-after 1) are resumed with Last-Event-ID")
struct SSEResumptionTests {
    static func sandbox(_ options: [String]) async throws -> (ProxyProcess, URL) {
        try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0"] + options)
    }

    @Test("directly: the POST stream stops after one event and a GET with its Last-Event-ID delivers the rest exactly once")
    func resumeDirectly() async throws {
        let (sandbox, url) = try await Self.sandbox(["--cut-stream-after", "1"])
        try await stopping([sandbox]) {
            var client = MCPHTTPClient(url: url)
            try await client.initialize()
            let cut = try await client.request(2, "tools/call", getSelfWithProgress(token: "cut-2"))
            #expect(cut.status == 200)
            #expect(cut.isEventStream)
            let first = try #require(cut.events.first, "\(cut.text)")
            #expect(cut.events.count == 1, "the connection closes after one event: \(cut.text)")
            #expect(try JSONParser.parse(first.data)["method"] == "notifications/progress")
            let firstID = try #require(first.id)

            let resumed = try await client.openStream(lastEventID: firstID)
            defer { resumed.cancel() }
            #expect(resumed.reply.status == 200)
            let rest = try #require(try await resumed.next(), "no event after \(firstID)")
            #expect(rest.id != firstID)
            #expect(rest.id?.split(separator: "-").first == firstID.split(separator: "-").first, "the same stream continues")
            let response = try JSONParser.parse(rest.data)
            #expect(response["id"] == 2)
            #expect(try toolResultText(response)["type"] == "bot")
            #expect(try await resumed.next() == nil, "the stream ends after its response, with no duplicate")

            // Resuming after the last event gives nothing more, and ends at once.
            let again = try await client.openStream(lastEventID: rest.id)
            defer { again.cancel() }
            #expect(again.reply.status == 200)
            #expect(try await again.next() == nil)
        }
    }

    @Test("through the proxy: a cut response stream is resumed and the progress and the response arrive exactly once")
    func resumeThroughProxy() async throws {
        let (sandbox, url) = try await Self.sandbox(["--cut-stream-after", "1"])
        let proxy = try ProxyProcess(["serve", "--url", url.absoluteString])
        try await stopping([proxy, sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (hello, _) = try await proxy.response(to: 1)
            #expect(hello["result"]?["serverInfo"]?["name"] == "notion-sandbox")
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])

            proxy.request(2, "tools/call", getSelfWithProgress(token: "through-2"))
            let (me, before) = try await proxy.response(to: 2)
            #expect(me["error"] == nil, "\(me)")
            #expect(try toolResultText(me)["type"] == "bot")
            #expect(before.count == 1, "\(before)")
            #expect(before.first?["method"] == "notifications/progress")
            #expect(before.first?["params"]?["progressToken"] == "through-2")

            // Nothing is delivered twice: the next exchange's answer is the next thing out.
            proxy.request(3, "ping")
            let (pong, between) = try await proxy.response(to: 3)
            #expect(pong["result"] == [:])
            #expect(between.isEmpty, "\(between)")
            #expect(proxy.stderr.contains("resumed a broken response stream"))
        }
    }
}

@Suite("serve --url when the upstream's HTTP session expires")
struct UpstreamSessionExpiryTests {
    @Test("an expired upstream session is re-initialized underneath: every call succeeds on the client's one session")
    func sessionExpiry() async throws {
        // Every sandbox session answers 404 from its 6th POST on; the proxy must open a new one, replay the
        // handshake and re-send the refused call, again and again, without the client noticing.
        let (sandbox, url) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--session-expire-after", "6"])
        let proxy = try ProxyProcess(["serve", "--url", url.absoluteString])
        try await stopping([proxy, sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            _ = try await proxy.response(to: 1)
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            for id in 2...10 {
                proxy.request(id, "tools/call", ["name": "API-get-self", "arguments": [:]])
                let (reply, _) = try await proxy.response(to: .number(JSONNumber(id)))
                #expect(reply["error"] == nil, "call \(id): \(reply)")
            }
            #expect(proxy.stderr.contains("upstream reconnected"))
            #expect(proxy.process.isRunning)
        }
    }
}
