import Foundation
import KeeperCore
import Testing

/// Both protocol eras through the proxy: each pairing of a legacy or modern client with a legacy or
/// modern upstream (the sandbox's `--protocol`), over stdio and over HTTP. Every message the client
/// receives is checked against the official schema of the client's version.
@Suite("both protocol eras, bridged where client and upstream differ")
struct EraBridgeTests {
    enum Transport: String, Sendable, CaseIterable { case stdio, http }

    struct Pairing: Sendable, CustomTestStringConvertible {
        let client: ProtocolEra
        let upstream: ProtocolEra
        let transport: Transport
        var testDescription: String { "\(client.rawValue) client → \(upstream.rawValue) upstream over \(transport.rawValue)" }
    }

    static let pairings: [Pairing] = Transport.allCases.flatMap { transport in
        ProtocolEra.allCases.flatMap { client in ProtocolEra.allCases.map { Pairing(client: client, upstream: $0, transport: transport) } }
    }

    /// The proxy in front of a sandbox of the pairing's era, and a client of the pairing's era;
    /// `messageLog` receives every message the sandbox is sent.
    static func start(_ pairing: Pairing, messageLog: String? = nil) async throws -> ([ProxyProcess], EraTestClient) {
        let sandbox = ["sandbox", "--protocol", pairing.upstream.rawValue, "--client-request-tools"] + (messageLog.map { ["--message-log", $0] } ?? [])
        switch pairing.transport {
        case .stdio:
            let proxy = try ProxyProcess(["serve", "--", try Binary.path()] + sandbox)
            return ([proxy], EraTestClient(era: pairing.client, link: .stdio(proxy)))
        case .http:
            let (upstream, upstreamURL) = try await ProxyProcess.listening(sandbox + ["--listen", "http://127.0.0.1:0"])
            let (proxy, url) = try await ProxyProcess.listening(["serve", "--listen", "http://127.0.0.1:0", "--no-auth",
                                                                "--url", upstreamURL.absoluteString])
            return ([proxy, upstream], EraTestClient(era: pairing.client, link: .http(url)))
        }
    }

    static func text(_ answer: JSONValue) -> String {
        answer["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
    }

    @Test("opening, tools, and the server's questions answered the client's way", arguments: pairings)
    func conversation(_ pairing: Pairing) async throws {
        let messageLog = try temporaryDirectory().appendingPathComponent("messages.jsonl").path
        let (processes, client) = try await Self.start(pairing, messageLog: messageLog)
        try await stopping(processes) {
            let opening = try await client.start()
            if pairing.client == .modern {
                #expect(opening["result"]?["supportedVersions"]?.arrayValue?.contains("2026-07-28") == true)
                #expect(opening["result"]?["_meta"]?[ModernMeta.serverInfo]?["name"] == "notion-sandbox")
            } else {
                #expect(opening["result"]?["protocolVersion"] == .string(EraTestClient.legacyVersion))
                #expect(opening["result"]?["serverInfo"]?["name"] == "notion-sandbox")
            }
            #expect(opening["result"]?["capabilities"]?["tools"] != nil)

            let list = try await client.call("tools/list")
            let names = list["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
            #expect(names.contains("API-get-self") && names.contains("sandbox-list-client-roots"))
            #expect(list["result"]?["resultType"] == (pairing.client == .modern ? "complete" : nil))

            let me = try await client.call("tools/call", ["name": "API-get-self", "arguments": [:]])
            #expect(try toolResultText(me)["object"] == "user")

            let roots = try await client.call("tools/call", ["name": "sandbox-list-client-roots", "arguments": [:]])
            #expect(Self.text(roots).contains("file:///era-test"), "roots answer: \(roots)")
            let confirm = try await client.call("tools/call", ["name": "sandbox-confirm", "arguments": [:]])
            #expect(Self.text(confirm).contains("accept"), "confirm answer: \(confirm)")
            #expect(client.questions == ["roots/list", "elicitation/create"])
        }
        Self.expectValidUpstreamSide(messageLog, upstream: pairing.upstream)
    }

    /// Every message mcpkeeper sent the upstream fits the official schema of the upstream's version:
    /// requests and notifications by their method, answers to the server's questions as client results.
    static func expectValidUpstreamSide(_ path: String, upstream: ProtocolEra, sourceLocation: SourceLocation = #_sourceLocation) {
        let version = upstream == .modern ? EraTestClient.modernVersion : EraTestClient.legacyVersion
        let lines = (try? String(contentsOfFile: path, encoding: .utf8))?.split(separator: "\n") ?? []
        #expect(lines.count >= 5, "the sandbox logged what it received", sourceLocation: sourceLocation)
        for line in lines {
            guard let message = try? JSONParser.parse(String(line)) else {
                Issue.record("not JSON: \(line)", sourceLocation: sourceLocation)
                continue
            }
            // How the era is learned: a legacy server is asked server/discover, a modern one gets the legacy
            // client's initialize as it is; each answers that it has no such method, and the session bridges.
            if upstream == .legacy, message["method"] == "server/discover" { continue }
            if upstream == .modern, message["method"] == "initialize" { continue }
            switch (message["method"] != nil, message["id"] != nil) {
            case (true, true): SchemaOracle.expect(message, is: "ClientRequest", version: version, sourceLocation: sourceLocation)
            case (true, false): SchemaOracle.expect(message, is: "ClientNotification", version: version, sourceLocation: sourceLocation)
            default:
                if let result = message["result"] {
                    SchemaOracle.expect(message, is: "JSONRPCResultResponse", version: version, sourceLocation: sourceLocation)
                    SchemaOracle.expect(result, is: "ClientResult", version: version, sourceLocation: sourceLocation)
                } else {
                    SchemaOracle.expect(message, is: "JSONRPCErrorResponse", version: version, sourceLocation: sourceLocation)
                }
            }
        }
    }

    @Test("a tool list change reaches the client the way its era hears it", arguments: pairings)
    func toolListChange(_ pairing: Pairing) async throws {
        let (processes, client) = try await Self.start(pairing)
        try await stopping(processes) {
            try await client.start()
            let listening = try await client.listen()
            if pairing.client == .modern {
                let ack = try await client.awaitNotification("notifications/subscriptions/acknowledged")
                #expect(ack["params"]?["_meta"]?[ModernMeta.subscriptionID] == .number(JSONNumber(listening.id)))
                #expect(ack["params"]?["notifications"]?["toolsListChanged"] == true)
            }
            _ = try await client.call("tools/call", ["name": "sandbox-change-tools", "arguments": [:]])
            let change = try await client.awaitNotification("notifications/tools/list_changed")
            let subscription = change["params"]?["_meta"]?[ModernMeta.subscriptionID]
            #expect(subscription == (pairing.client == .modern ? .number(JSONNumber(listening.id)) : nil))
            let list = try await client.call("tools/list")
            #expect(list["result"]?["tools"]?.arrayValue?.contains { $0["name"] == "sandbox-extra" } == true)
            try await client.end(listening)
        }
    }
}
