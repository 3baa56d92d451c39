import Foundation
import KeeperCore
import Testing

@Suite("Notion-aware error hints through the proxy")
struct NotionHintTests {
    /// A config that gives up on rate limits quickly; the upstream itself comes after `--`.
    func config(hints: Bool = true) throws -> String {
        let file = try temporaryDirectory().appendingPathComponent("config.json")
        try Data(#"{"upstreams": {"unused": {"sandbox": {}}}, "retry": {"max_attempts": 2}, "hints": \#(hints)}"#.utf8).write(to: file)
        return file.path
    }

    func callThrough(_ arguments: [String], tool: String = "API-retrieve-a-page") async throws -> (JSONValue, raw: String) {
        let proxy = try ProxyProcess(arguments)
        proxy.request(1, "initialize", initializeParams)
        _ = try await proxy.response(to: 1)
        proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        proxy.request(2, "tools/call", ["name": .string(tool), "arguments": ["page_id": "59833787-2cf9-4fdf-8782-e53db20768a5"]])
        var raw = ""
        while true {
            raw = try await proxy.nextLine(timeout: .seconds(10))
            let message = try JSONParser.parse(raw)
            if message["id"] == 2, message["method"] == nil {
                proxy.closeInput()
                _ = await proxy.waitForExit()
                return (message, raw)
            }
        }
    }

    @Test("each Notion error code comes back as isError with Notion's text and one remediation", arguments: NotionErrorHints.codes)
    func hintForEachCode(code: String) async throws {
        let binary = try Binary.path()
        let (response, _) = try await callThrough(["serve", "--config", try config(), "--", binary, "sandbox", "--notion-error", code, "--retry-after", "50ms"])
        let result = try #require(response["result"], "\(response)")
        #expect(result["isError"] == true)
        let content = try #require(result["content"]?.arrayValue)
        #expect(content.count == 2)
        #expect(NotionOutcomeClassifier().classify(result: ["content": [content[0]]], now: Date()).code == code)
        let hint = try #require(content[1]["text"]?.stringValue)
        #expect(hint == NotionHintStage.prefix + (NotionErrorHints.remediation(for: code, attempts: 2) ?? ""))
    }

    @Test("a normal result reaches the client byte for byte as the sandbox wrote it")
    func normalResultUnchanged() async throws {
        let binary = try Binary.path()
        let (_, direct) = try await callThrough(["sandbox"], tool: "API-get-self")
        let (_, proxied) = try await callThrough(["serve", "--", binary, "sandbox"], tool: "API-get-self")
        #expect(proxied == direct)
    }

    @Test("hints: false passes Notion's error on as the server sent it")
    func hintsOff() async throws {
        let binary = try Binary.path()
        let (response, _) = try await callThrough(["serve", "--config", try config(hints: false), "--", binary, "sandbox", "--notion-error", "object_not_found"])
        #expect(response["result"]?["isError"] == nil)
        #expect(response["result"]?["content"]?.arrayValue?.count == 1)
    }
}
