import Foundation
import KeeperCore
import Testing

@Suite("validation and tool policy between the client and the sandbox")
struct ValidationPolicyTests {
    /// `serve [SERVE_ARGS] -- mcpkeeper sandbox --received-log F [SANDBOX_ARGS]`, initialized.
    static func start(serve: [String] = [], sandbox: [String] = []) async throws -> (ProxyProcess, received: String, dir: URL) {
        let dir = try temporaryDirectory()
        let received = dir.appendingPathComponent("received.jsonl").path
        let proxy = try ProxyProcess(["serve"] + serve + ["--", try Binary.path(), "sandbox", "--received-log", received] + sandbox)
        proxy.request(1, "initialize", initializeParams)
        _ = try await proxy.response(to: 1)
        proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        return (proxy, received, dir)
    }

    /// The tools the sandbox was asked to run, from its journal of received requests.
    static func toolsReceived(_ path: String) throws -> [String] {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return try text.split(separator: "\n").compactMap { try JSONParser.parse(String($0))["tool"]?.stringValue }
    }

    static func call(_ proxy: ProxyProcess, id: Int, _ tool: String, _ arguments: JSONValue) async throws -> JSONValue {
        proxy.request(id, "tools/call", ["name": .string(tool), "arguments": arguments])
        return try await proxy.response(to: .number(JSONNumber(id))).0
    }

    @Test("a wrong argument type is rejected with its pointer and never reaches the upstream")
    func wrongType() async throws {
        let (proxy, received, _) = try await Self.start()
        let reply = try await Self.call(proxy, id: 2, "API-retrieve-a-page", ["page_id": 42])
        #expect(reply["error"]?["code"] == -32602)
        let first = try #require(reply["error"]?["data"]?["errors"]?.arrayValue?.first)
        #expect(first["pointer"] == "/page_id")
        #expect(first["keyword"] == "type")
        #expect(reply["error"]?["message"]?.stringValue?.contains("API-retrieve-a-page") == true)
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        #expect(try !Self.toolsReceived(received).contains("API-retrieve-a-page"))
    }

    @Test("a missing required argument is rejected and a valid call then goes through")
    func missingRequired() async throws {
        let (proxy, received, _) = try await Self.start()
        let reply = try await Self.call(proxy, id: 2, "API-retrieve-a-page", [:])
        let first = try #require(reply["error"]?["data"]?["errors"]?.arrayValue?.first)
        #expect(first["keyword"] == "required")
        #expect(first["message"]?.stringValue?.contains("page_id") == true)
        let good = try await Self.call(proxy, id: 3, "API-get-self", [:])
        #expect(good["result"] != nil)
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        #expect(try Self.toolsReceived(received) == ["API-get-self"])
    }

    @Test("a property the schema forbids is rejected with the pointer to it")
    func forbiddenProperty() async throws {
        let (proxy, received, _) = try await Self.start()
        let reply = try await Self.call(proxy, id: 2, "API-post-page", [
            "parent": ["page_id": "00000000-0000-4000-8000-000000000004"],
            "properties": ["title": ["title": [["text": ["content": "x"]]]]],
            "icon": ["emoji": "🎉", "colour": "red"],
        ])
        #expect(reply["error"]?["code"] == -32602)
        let pointers = reply["error"]?["data"]?["errors"]?.arrayValue?.compactMap { $0["pointer"]?.stringValue } ?? []
        #expect(pointers.contains { $0.hasPrefix("/icon") })
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        #expect(try !Self.toolsReceived(received).contains("API-post-page"))
    }

    @Test("--read-only hides write tools from tools/list and refuses a call to one, naming the rule")
    func readOnlyPolicy() async throws {
        let (proxy, received, _) = try await Self.start(serve: ["--read-only"])
        proxy.request(2, "tools/list")
        let (list, _) = try await proxy.response(to: 2)
        let names = list["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(names.contains("API-get-self"))
        #expect(names.contains("API-post-search"))
        #expect(!names.contains("API-patch-page"))
        #expect(!names.contains("API-delete-a-block"))
        let reply = try await Self.call(proxy, id: 3, "API-patch-page", ["page_id": "00000000-0000-4000-8000-000000000004"])
        #expect(reply["error"]?["code"] == -32602)
        let message = reply["error"]?["message"]?.stringValue ?? ""
        #expect(message.contains("policy"))
        #expect(message.contains("\"read\""))
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        #expect(try !Self.toolsReceived(received).contains("API-patch-page"))
    }

    @Test("the default write tier hides admin tools, and policy.deny blocks by glob")
    func denyGlob() async throws {
        let dir = try temporaryDirectory()
        let config = dir.appendingPathComponent("c.json")
        try Data(#"{"upstreams": {"s": {"sandbox": {}}}, "policy": {"tier": "write", "deny": ["API-create-*"]}}"#.utf8).write(to: config)
        let (proxy, _, _) = try await Self.start(serve: ["--config", config.path])
        proxy.request(2, "tools/list")
        let (list, _) = try await proxy.response(to: 2)
        let names = list["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        #expect(!names.contains("API-delete-a-block"))
        #expect(!names.contains("API-create-a-comment"))
        #expect(names.contains("API-patch-page"))
        let reply = try await Self.call(proxy, id: 3, "API-create-a-comment", ["rich_text": []])
        #expect(reply["error"]?["message"]?.stringValue?.contains("API-create-*") == true)
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
    }

    @Test("an invalid upstream result passes in warn mode, flagged in the log, and becomes -32603 in enforce mode")
    func invalidUpstreamResult() async throws {
        let logPath = try temporaryDirectory().appendingPathComponent("requests.jsonl").path
        let (warn, _, _) = try await Self.start(serve: ["--log", logPath], sandbox: ["--invalid-result-after", "1"])
        let passed = try await Self.call(warn, id: 2, "API-get-self", [:])
        #expect(passed["result"]?["content"] == "not an array")
        warn.closeInput()
        #expect(await warn.waitForExit() == 0)
        #expect(warn.stderr.contains("validation failed"))
        let entries = try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        let call = try #require(entries.first { $0["tool"] == "API-get-self" })
        #expect(call["outcome"] == "ok")
        #expect(call["validation_errors"]?.arrayValue?.isEmpty == false)

        let config = try temporaryDirectory().appendingPathComponent("c.json")
        try Data(#"{"upstreams": {"s": {"sandbox": {"invalid_result_after": 1}}}, "validation": {"responses": "enforce"}}"#.utf8).write(to: config)
        let enforce = try ProxyProcess(["serve", "--config", config.path])
        enforce.request(1, "initialize", initializeParams)
        _ = try await enforce.response(to: 1)
        let refused = try await Self.call(enforce, id: 2, "API-get-self", [:])
        #expect(refused["error"]?["code"] == -32603)
        #expect(refused["error"]?["data"]?["errors"]?.arrayValue?.first?["pointer"] == "/content")
        enforce.closeInput()
        #expect(await enforce.waitForExit() == 0)
    }
}
