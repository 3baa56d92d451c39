import Foundation
import KeeperCore
import Testing

/// `mcpkeeper sandbox --protocol legacy|modern|dual` over stdio: the stateless 2026-07-28 era, both
/// eras on one connection, multi round-trip requests, subscriptions, and the legacy default untouched.
/// Every modern message is checked against the official schema (SchemaOracle).
@Suite("the sandbox's protocol eras")
struct SandboxEraTests {
    static let allCapabilities: JSONValue = ["roots": [:], "elicitation": ["form": [:]]]

    static func start(_ arguments: [String]) throws -> ProxyProcess {
        try ProxyProcess(["sandbox", "--client-request-tools"] + arguments)
    }

    /// Params carrying the modern per-request `_meta`.
    static func modern(_ params: JSONObject = [:], capabilities: JSONValue = allCapabilities, version: String = "2026-07-28") -> JSONValue {
        var object = params
        object["_meta"] = [
            "io.modelcontextprotocol/protocolVersion": .string(version),
            "io.modelcontextprotocol/clientCapabilities": capabilities,
            "io.modelcontextprotocol/clientInfo": ["name": "sandbox-era-test", "version": "1.0"],
        ]
        return .object(object)
    }

    static func call(_ tool: String, _ extra: JSONObject = [:], capabilities: JSONValue = allCapabilities) -> JSONValue {
        var params = extra
        params["name"] = .string(tool)
        params["arguments"] = [:]
        return modern(params, capabilities: capabilities)
    }

    static func text(_ reply: JSONValue) -> String {
        reply["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? ""
    }

    /// The official schema's verdict on a modern message part (absent counts as invalid).
    static func expectSchema(_ value: JSONValue?, _ definition: String, sourceLocation: SourceLocation = #_sourceLocation) {
        SchemaOracle.expect(value ?? .null, is: definition, version: "2026-07-28", sourceLocation: sourceLocation)
    }

    static func toolNames(_ reply: JSONValue) -> [String] {
        reply["result"]?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
    }

    @Test("server/discover describes the modern server, and tools answer with resultType and caching hints")
    func discoverAndCall() async throws {
        let sandbox = try Self.start(["--protocol", "modern"])
        sandbox.request(1, "server/discover", Self.modern())
        let (discover, _) = try await sandbox.response(to: 1)
        let result = try #require(discover["result"])
        #expect(result["resultType"] == "complete")
        #expect(result["supportedVersions"] == ["2026-07-28"])
        #expect(result["capabilities"]?["tools"]?["listChanged"] == true)
        #expect(result["_meta"]?["io.modelcontextprotocol/serverInfo"]?["name"] == "notion-sandbox")
        #expect(result["ttlMs"]?.intValue ?? -1 >= 0 && result["cacheScope"] == "public")
        #expect(result["instructions"]?.stringValue != nil)
        Self.expectSchema(result, "DiscoverResult")

        sandbox.request(2, "tools/list", Self.modern())
        let (list, _) = try await sandbox.response(to: 2)
        #expect(list["result"]?["resultType"] == "complete" && list["result"]?["cacheScope"] == "public")
        #expect(Self.toolNames(list).contains("sandbox-confirm"))
        Self.expectSchema(list["result"], "ListToolsResult")

        sandbox.request(3, "tools/call", Self.call("API-get-self"))
        let (me, _) = try await sandbox.response(to: 3)
        #expect(me["result"]?["resultType"] == "complete")
        #expect(Self.text(me).contains("\"bot\""))
        Self.expectSchema(me["result"], "CallToolResult")
    }

    @Test("a modern request without its _meta fields or with an unknown version is refused; so are initialize and ping")
    func refusals() async throws {
        let sandbox = try Self.start(["--protocol", "modern"])
        sandbox.request(1, "tools/list")
        let (bare, _) = try await sandbox.response(to: 1)
        #expect(bare["error"]?["code"] == -32602)
        #expect(bare["error"]?["message"]?.stringValue?.contains("io.modelcontextprotocol/protocolVersion") == true)
        Self.expectSchema(bare, "JSONRPCErrorResponse")

        sandbox.request(2, "tools/list", ["_meta": ["io.modelcontextprotocol/protocolVersion": "2026-07-28"]])
        let (noCapabilities, _) = try await sandbox.response(to: 2)
        #expect(noCapabilities["error"]?["code"] == -32602)
        #expect(noCapabilities["error"]?["message"]?.stringValue?.contains("io.modelcontextprotocol/clientCapabilities") == true)

        sandbox.request(3, "tools/list", Self.modern(version: "1900-01-01"))
        let (unknown, _) = try await sandbox.response(to: 3)
        #expect(unknown["error"]?["code"] == -32022)
        #expect(unknown["error"]?["data"] == ["supported": ["2026-07-28"], "requested": "1900-01-01"])
        Self.expectSchema(unknown, "UnsupportedProtocolVersionError")

        sandbox.request(4, "initialize", initializeParams)
        let (initialize, _) = try await sandbox.response(to: 4)
        #expect(initialize["error"]?["code"] == -32022)
        #expect(initialize["error"]?["message"]?.stringValue?.contains("2026-07-28") == true)
        #expect(initialize["error"]?["data"]?["requested"] == "2025-06-18")
        Self.expectSchema(initialize, "UnsupportedProtocolVersionError")

        sandbox.request(5, "ping", Self.modern())
        let (ping, _) = try await sandbox.response(to: 5)
        #expect(ping["error"]?["code"] == -32601)
    }

    @Test("roots over multi round-trip: input_required, a retry under a new id completes, an altered state is refused")
    func rootsRoundTrip() async throws {
        let sandbox = try Self.start(["--protocol", "modern"])
        sandbox.request(1, "tools/call", Self.call("sandbox-list-client-roots"))
        let (first, skipped) = try await sandbox.response(to: 1)
        #expect(skipped.isEmpty, "no request goes to the client in the modern era: \(skipped)")
        let asked = try #require(first["result"])
        #expect(asked["resultType"] == "input_required")
        #expect(asked["inputRequests"]?["roots"] == ["method": "roots/list"])
        let state = try #require(asked["requestState"]?.stringValue)
        Self.expectSchema(asked, "InputRequiredResult")

        let roots: JSONValue = ["roots": [["uri": "file:///tmp/project", "name": "project"]]]
        sandbox.request(2, "tools/call", Self.call("sandbox-list-client-roots", ["inputResponses": ["roots": roots], "requestState": .string(state)]))
        let (done, _) = try await sandbox.response(to: 2)
        #expect(done["result"]?["resultType"] == "complete")
        #expect(Self.text(done).contains("file:///tmp/project"))
        Self.expectSchema(done["result"], "CallToolResult")

        let altered = (state.first == "A" ? "B" : "A") + state.dropFirst()
        sandbox.request(3, "tools/call", Self.call("sandbox-list-client-roots", ["inputResponses": ["roots": roots], "requestState": .string(altered)]))
        let (tampered, _) = try await sandbox.response(to: 3)
        #expect(tampered["error"]?["code"] == -32602)

        // A state is bound to its tool: the roots state does not complete sandbox-confirm.
        let answer: JSONValue = ["action": "accept", "content": ["confirm": true]]
        sandbox.request(4, "tools/call", Self.call("sandbox-confirm", ["inputResponses": ["confirm": answer], "requestState": .string(state)]))
        let (foreign, _) = try await sandbox.response(to: 4)
        #expect(foreign["error"]?["code"] == -32602)

        sandbox.request(5, "tools/call", Self.call("sandbox-list-client-roots", capabilities: ["elicitation": [:]]))
        let (missing, _) = try await sandbox.response(to: 5)
        #expect(missing["error"]?["code"] == -32021)
        #expect(missing["error"]?["data"] == ["requiredCapabilities": ["roots": [:]]])
        Self.expectSchema(missing, "MissingRequiredClientCapabilityError")
    }

    @Test("sandbox-confirm elicits in both eras: input_required when modern, elicitation/create to the client when legacy")
    func confirmBothEras() async throws {
        let modern = try Self.start(["--protocol", "modern"])
        modern.request(1, "tools/call", Self.call("sandbox-confirm"))
        let (asked, _) = try await modern.response(to: 1)
        let request = asked["result"]?["inputRequests"]?["confirm"]
        #expect(request?["method"] == "elicitation/create")
        #expect(request?["params"]?["message"] == "Confirm the sandbox action?")
        #expect(request?["params"]?["requestedSchema"]?["required"] == ["confirm"])
        Self.expectSchema(asked["result"], "InputRequiredResult")
        let state = try #require(asked["result"]?["requestState"])
        let answer: JSONValue = ["action": "accept", "content": ["confirm": true]]
        modern.request(2, "tools/call", Self.call("sandbox-confirm", ["inputResponses": ["confirm": answer], "requestState": state]))
        let (done, _) = try await modern.response(to: 2)
        #expect(Self.text(done) == #"The user answered accept with {"confirm":true}."#)
        modern.request(3, "tools/call", Self.call("sandbox-confirm", capabilities: ["roots": [:]]))
        let (missing, _) = try await modern.response(to: 3)
        #expect(missing["error"]?["data"] == ["requiredCapabilities": ["elicitation": [:]]])

        let legacy = try Self.start([])
        legacy.request(1, "initialize", ["protocolVersion": "2025-06-18", "capabilities": ["elicitation": [:]],
                                         "clientInfo": ["name": "sandbox-era-test", "version": "1.0"]])
        _ = try await legacy.response(to: 1)
        legacy.request(2, "tools/call", ["name": "sandbox-confirm", "arguments": [:]])
        let elicit = try await legacy.next()
        #expect(elicit["method"] == "elicitation/create")
        #expect(elicit["params"]?["mode"] == "form")
        legacy.send(["jsonrpc": "2.0", "id": try #require(elicit["id"]), "result": ["action": "decline"]])
        let (declined, _) = try await legacy.response(to: 2)
        #expect(Self.text(declined) == "The user answered decline.")

        let unable = try Self.start([])
        unable.request(1, "initialize", initializeParams)
        _ = try await unable.response(to: 1)
        unable.request(2, "tools/call", ["name": "sandbox-confirm", "arguments": [:]])
        let (refused, skipped) = try await unable.response(to: 2)
        #expect(skipped.isEmpty && refused["result"]?["isError"] == true)
    }

    @Test("subscriptions/listen is acknowledged, hears of sandbox-change-tools, and ends silently when cancelled")
    func subscription() async throws {
        let sandbox = try Self.start(["--protocol", "modern"])
        sandbox.send(["jsonrpc": "2.0", "id": "listen-1", "method": "subscriptions/listen",
                      "params": Self.modern(["notifications": ["toolsListChanged": true, "promptsListChanged": true]])])
        let ack = try await sandbox.next()
        #expect(ack["method"] == "notifications/subscriptions/acknowledged")
        #expect(ack["params"]?["_meta"]?["io.modelcontextprotocol/subscriptionId"] == "listen-1")
        #expect(ack["params"]?["notifications"] == ["toolsListChanged": true])
        Self.expectSchema(ack, "SubscriptionsAcknowledgedNotification")

        sandbox.request(2, "tools/call", Self.call("sandbox-change-tools"))
        let (changed, heard) = try await sandbox.response(to: 2)
        #expect(changed["result"]?["resultType"] == "complete")
        #expect(heard.count == 1)
        #expect(heard.first?["method"] == "notifications/tools/list_changed")
        #expect(heard.first?["params"]?["_meta"]?["io.modelcontextprotocol/subscriptionId"] == "listen-1")
        Self.expectSchema(heard.first, "ToolListChangedNotification")
        sandbox.request(3, "tools/list", Self.modern())
        #expect(Self.toolNames(try await sandbox.response(to: 3).0).contains("sandbox-extra"))

        sandbox.send(["jsonrpc": "2.0", "method": "notifications/cancelled", "params": ["requestId": "listen-1"]])
        sandbox.request(4, "tools/call", Self.call("sandbox-change-tools"))
        let (again, after) = try await sandbox.response(to: 4)
        #expect(Self.text(again).contains("no longer listed"))
        #expect(after.isEmpty, "a cancelled subscription hears nothing and is never answered: \(after)")
    }

    @Test("dual serves a legacy session and stateless modern requests on one connection")
    func dual() async throws {
        let sandbox = try Self.start(["--protocol", "dual"])
        sandbox.request(1, "server/discover", Self.modern())
        let (discover, _) = try await sandbox.response(to: 1)
        #expect(discover["result"]?["supportedVersions"] == ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"])

        sandbox.request(2, "initialize", initializeParams)
        let (initialize, _) = try await sandbox.response(to: 2)
        #expect(initialize["result"]?["protocolVersion"] == "2025-06-18")
        #expect(initialize["result"]?["resultType"] == nil)

        sandbox.request(3, "tools/list")
        let (legacyList, _) = try await sandbox.response(to: 3)
        #expect(legacyList["result"]?["resultType"] == nil && !Self.toolNames(legacyList).isEmpty)

        sandbox.request(4, "tools/call", ["name": "sandbox-list-client-roots", "arguments": [:]])
        let ask = try await sandbox.next()
        #expect(ask["method"] == "roots/list")
        sandbox.send(["jsonrpc": "2.0", "id": try #require(ask["id"]), "result": ["roots": []]])
        let (legacyRoots, _) = try await sandbox.response(to: 4)
        #expect(Self.text(legacyRoots) == #"{"roots":[]}"#)

        sandbox.request(5, "tools/call", Self.call("sandbox-list-client-roots"))
        let (modernRoots, skipped) = try await sandbox.response(to: 5)
        #expect(skipped.isEmpty && modernRoots["result"]?["resultType"] == "input_required")

        // The legacy session hears of tool changes directly.
        sandbox.request(6, "tools/call", ["name": "sandbox-change-tools", "arguments": [:]])
        let (_, heard) = try await sandbox.response(to: 6)
        #expect(heard.map { $0["method"] } == ["notifications/tools/list_changed"])
    }

    @Test("legacy, the default, is unchanged: initialize as before, ping answered, server/discover unknown")
    func legacyDefault() async throws {
        let sandbox = try ProxyProcess(["sandbox"])
        sandbox.request(1, "initialize", initializeParams)
        let (initialize, _) = try await sandbox.response(to: 1)
        #expect(initialize["result"]?["protocolVersion"] == "2025-06-18")
        #expect(initialize["result"]?["capabilities"] == ["tools": ["listChanged": false]])
        #expect(initialize["result"]?["resultType"] == nil)
        sandbox.request(2, "server/discover", Self.modern())
        let (discover, _) = try await sandbox.response(to: 2)
        #expect(discover["error"]?["code"] == -32601)
        sandbox.request(3, "ping")
        let (ping, _) = try await sandbox.response(to: 3)
        #expect(ping["result"] == [:])
        sandbox.closeInput()
        #expect(await sandbox.waitForExit() == 0)
    }
}
