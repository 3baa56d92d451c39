@testable import KeeperCore
import Foundation
import Testing

/// The secrets mcpkeeper holds are scrubbed from what it emits, even when an upstream echoes them.
@Suite("Held secrets scrubber")
struct SecretScrubberTests {
    static let notionToken = "ntn_" + String(repeating: "a1B2c3D4e5", count: 4) + "XyZ123"

    @Test("a held secret is scrubbed raw and JSON-escaped; short values are not held")
    func scrubber() {
        let scrubber = SecretScrubber()
        scrubber.register("tok\"en-SECRET-1")
        scrubber.register("short")
        #expect(scrubber.scrub("a tok\"en-SECRET-1 b") == "a [redacted] b")
        #expect(scrubber.scrub(#"{"m":"tok\"en-SECRET-1"}"#) == #"{"m":"[redacted]"}"#)
        #expect(scrubber.scrub("short stays") == "short stays")
    }

    @Test("OPENAPI_MCP_HEADERS: the whole value, each header value and the bearer token inside are held")
    func environmentHeaders() {
        let scrubber = SecretScrubber()
        let headers = #"{"Authorization": "Bearer \#(Self.notionToken)", "Notion-Version": "2022-06-28"}"#
        scrubber.registerEnvironment(["OPENAPI_MCP_HEADERS": headers, "HOME": "/home/someone"], names: HeldSecrets.wellKnownVariables)
        #expect(scrubber.scrub("echo: \(Self.notionToken)") == "echo: [redacted]")
        #expect(scrubber.scrub("/home/someone") == "/home/someone")
    }

    @Test("an upstream's 401 body that echoes the token is scrubbed from the error text and the request log")
    func echoedTokenIn401() throws {
        let token = "oauth-access-4f1c2b9a7d0e"
        HeldSecrets.register(OAuthTokens(clientID: "c", tokenEndpoint: "t", accessToken: token))
        let body = #"{"error":"invalid_token","message":"token \#(token) is not valid"}"#
        let message = SecretScrubber.shared.scrub("the upstream refused the request (HTTP 401): \(body)")
        #expect(!message.contains(token))
        #expect(message.contains("token [redacted] is not valid"))

        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keeper-scrub-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = try RequestLog(settings: RequestLogSettings(path: dir.path + "/requests.jsonl", includeBodies: true))
        var record = ExchangeRecord(timestamp: Date(), session: "s", upstream: "u", direction: .clientToUpstream, method: "tools/call", outcome: "error")
        record.responseBody = ["error": ["code": -32001, "message": .string(body), "data": ["detail": .string(token)]]]
        log.record(record)
        log.flush()
        let text = String(decoding: try #require(FileManager.default.contents(atPath: dir.path + "/requests.jsonl")), as: UTF8.self)
        #expect(!text.contains(token), "\(text)")
    }

    @Test("loading a config holds the tokens its upstreams name by variable, its secret headers and child env values")
    func configSecrets() {
        let bearer = "bearer-value-7c1e2f9a", notion = "ntn_config_token_55aa11", header = "header-secret-0f9e8d7c", child = "child-token-3b4c5d6e"
        let text = """
        {"upstreams": {
          "http": {"url": "https://example.test/mcp", "headers": {"X-Api-Key": "\(header)", "X-Team": "team-visible-1"},
                   "auth": {"type": "bearer", "token_env": "SCRUB_TEST_BEARER"}},
          "local": {"command": "npx", "args": ["-y", "@notionhq/notion-mcp-server"], "notion_token_env": "SCRUB_TEST_NOTION",
                    "env": {"OTHER_TOKEN": "\(child)"}}}}
        """
        let (config, _) = ConfigLoader(environment: ["SCRUB_TEST_BEARER": bearer, "SCRUB_TEST_NOTION": notion]).load(bytes: Array(text.utf8))
        #expect(config != nil)
        for secret in [bearer, notion, header, child] {
            #expect(SecretScrubber.shared.scrub("x \(secret) y") == "x [redacted] y", "\(secret)")
        }
        #expect(SecretScrubber.shared.scrub("team-visible-1") == "team-visible-1")
    }

    @Test("a JSON-RPC error quoting a held token reaches the client scrubbed; a message without one is passed on as it is")
    func clientMessages() throws {
        let scrubber = SecretScrubber()
        scrubber.register("bearer-echo-9d8c7b6a")
        let echoed = try JSONRPCMessage.decode(Array(#"{"jsonrpc":"2.0","id":7,"error":{"code":-32001,"message":"HTTP 401: {\"error\":\"bad token bearer-echo-9d8c7b6a\"}","data":{"upstream_status":401}}}"#.utf8))
        let clean = scrubber.scrub(echoed)
        #expect(!String(decoding: clean.bytes, as: UTF8.self).contains("bearer-echo-9d8c7b6a"))
        #expect(clean.id == echoed.id)
        let ordinary = try JSONRPCMessage.decode(Array(#"{"jsonrpc":"2.0","id":8,"result":{}}"#.utf8))
        #expect(scrubber.scrub(ordinary).bytes == ordinary.bytes)
    }
}
