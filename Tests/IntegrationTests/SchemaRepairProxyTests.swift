import Foundation
import KeeperCore
import Testing

/// Schema repair through the built proxy, against the sandbox (whose tools carry the official
/// server's schema defects), and `mcpkeeper lint`.
@Suite("schema repair through the proxy, and lint")
struct SchemaRepairProxyTests {
    static func tools(_ proxy: ProxyProcess, id: Int = 2) async throws -> [JSONValue] {
        proxy.request(id, "tools/list")
        let (list, _) = try await proxy.response(to: .number(JSONNumber(id)))
        return list["result"]?["tools"]?.arrayValue ?? []
    }

    static func contains(key: String, in value: JSONValue) -> Bool {
        switch value {
        case .object(let object): return object.keys.contains(key) || object.contains { contains(key: key, in: $0.value) }
        case .array(let array): return array.contains { contains(key: key, in: $0) }
        default: return false
        }
    }

    /// The text content of a tool result, parsed (the sandbox answers with Notion's JSON as text).
    static func toolText(_ response: JSONValue) throws -> JSONValue {
        try JSONParser.parse(response["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? "null")
    }

    /// `mcpkeeper ARGS` to the end: exit status and stdout.
    static func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try Binary.path())
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("by default the client's tool list has no unused $defs and no dangling $ref, and logs each repair")
    func safeToolList() async throws {
        let (proxy, _, _) = try await ValidationPolicyTests.start()
        let tools = try await Self.tools(proxy)
        #expect(tools.count >= 17)
        let left = SchemaLint.lint(tools: tools)
        #expect(!left.contains { [.unusedDefinition, .unresolvableRef, .metaschema].contains($0.kind) }, "\(left)")
        let postPage = try #require(tools.first { $0["name"] == "API-post-page" })
        #expect(postPage["inputSchema"]?["$defs"]?.objectValue?.keys.sorted() == ["dataSourceIdParentRequest", "pageIdParentRequest", "parentRequest"])
        _ = try await Self.tools(proxy, id: 3)
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        // Logged once per tool-list version, not once per listing.
        let lines = proxy.stderr.split(separator: "\n").filter { $0.contains("repaired a tool schema") && $0.contains("movePageParentRequest") && $0.contains("API-post-page") }
        #expect(lines.count == 1)
    }

    @Test("the strict profile has no $ref and no $defs anywhere, states additionalProperties, and a write still succeeds")
    func strictProfile() async throws {
        let (proxy, _, _) = try await ValidationPolicyTests.start(serve: ["--schema-profile", "strict"])
        let tools = try await Self.tools(proxy)
        for tool in tools {
            let schema = tool["inputSchema"] ?? .null
            #expect(!Self.contains(key: "$ref", in: schema), "\(tool["name"] ?? "?")")
            #expect(!Self.contains(key: "$defs", in: schema), "\(tool["name"] ?? "?")")
            #expect(!Self.contains(key: "format", in: schema), "\(tool["name"] ?? "?")")
            #expect(schema["additionalProperties"] != nil, "\(tool["name"] ?? "?")")
        }
        let parent = tools.first { $0["name"] == "API-post-page" }?["inputSchema"]?["properties"]?["parent"]
        #expect(parent?["anyOf"]?.arrayValue?.count == 3)
        let search = try await ValidationPolicyTests.call(proxy, id: 3, "API-post-search", ["query": "Team Home"])
        let home = try #require(try Self.toolText(search)["results"]?.arrayValue?.first?["id"])
        let created = try await ValidationPolicyTests.call(proxy, id: 4, "API-post-page", [
            "parent": ["page_id": home], "properties": ["title": ["title": [["text": ["content": "Strict"]]]]],
        ])
        #expect(try Self.toolText(created)["object"] == "page")
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
    }

    @Test("a double-stringified parent reaches the sandbox as an object and the write succeeds; with repair off it is refused")
    func stringifiedParent() async throws {
        let (proxy, received, _) = try await ValidationPolicyTests.start()
        let search = try await ValidationPolicyTests.call(proxy, id: 2, "API-post-search", ["query": "Team Home"])
        let home = try #require(try Self.toolText(search)["results"]?.arrayValue?.first?["id"]?.stringValue)
        let encoded = JSONValue.object(["page_id": .string(home)]).serialized()
        let arguments: JSONValue = ["parent": .string(encoded), "properties": ["title": ["title": [["text": ["content": "Stringified"]]]]]]
        let created = try await ValidationPolicyTests.call(proxy, id: 3, "API-post-page", arguments)
        #expect(try Self.toolText(created)["object"] == "page")
        #expect(try Self.toolText(created)["parent"]?["page_id"]?.stringValue == home)
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
        let entries = try String(contentsOfFile: received, encoding: .utf8).split(separator: "\n").map { try JSONParser.parse(String($0)) }
        let call = try #require(entries.first { $0["tool"] == "API-post-page" })
        #expect(call["arguments"]?["parent"] == ["page_id": .string(home)])
        #expect(proxy.stderr.contains("decoded double-encoded tool arguments"))
        #expect(proxy.stderr.contains("pointers=/parent"))
        #expect(!proxy.stderr.contains(home))

        let config = try temporaryDirectory().appendingPathComponent("c.json")
        try Data(#"{"upstreams": {"s": {"sandbox": {}}}, "validation": {"schema_repair": "off"}}"#.utf8).write(to: config)
        let (off, _, _) = try await ValidationPolicyTests.start(serve: ["--config", config.path])
        let refused = try await ValidationPolicyTests.call(off, id: 2, "API-post-page", arguments)
        #expect(refused["error"]?["code"] == -32602)
        off.closeInput()
        #expect(await off.waitForExit() == 0)
    }

    @Test("with schema_repair off the tool list is byte-identical to the upstream's")
    func offIsByteIdentical() async throws {
        let direct = try ProxyProcess(["sandbox"])
        direct.request(1, "initialize", initializeParams)
        _ = try await direct.response(to: 1)
        direct.request(2, "tools/list")
        let upstreamLine = try await direct.nextLine(timeout: .seconds(10))
        direct.closeInput()
        _ = await direct.waitForExit()

        let config = try temporaryDirectory().appendingPathComponent("c.json")
        // The admin tier, so that policy hides nothing either.
        try Data(#"{"upstreams": {"s": {"sandbox": {}}}, "validation": {"schema_repair": "off"}, "policy": {"tier": "admin"}}"#.utf8).write(to: config)
        let proxy = try ProxyProcess(["serve", "--config", config.path])
        proxy.request(1, "initialize", initializeParams)
        _ = try await proxy.response(to: 1)
        proxy.request(2, "tools/list")
        let proxiedLine = try await proxy.nextLine(timeout: .seconds(10))
        #expect(proxiedLine == upstreamLine, "the proxied tool list differs from the upstream's")
        #expect(upstreamLine.contains("movePageParentRequest"))
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 0)
    }

    @Test("lint finds each seeded defect and exits 1, exits 0 on a clean server and 2 when it cannot connect")
    func lint() throws {
        let binary = try Binary.path()
        let (status, output) = try Self.run(["lint", "--", binary, "sandbox"])
        #expect(status == 1)
        #expect(output.contains("API-post-page /inputSchema/$defs/movePageParentRequest: unused_definition"))
        #expect(output.contains("API-post-page /inputSchema/$defs/externalFileRequest/properties/external/$ref: unresolvable_ref"))
        #expect(output.contains("API-post-page /inputSchema/$defs/fileUploadRequest/properties/file/type: metaschema"))
        #expect(output.contains("API-post-page /inputSchema/properties/children/items/type: items_type"))
        #expect(output.contains("API-query-data-source /inputSchema/$defs/parentRequest: unused_definition"))

        let (jsonStatus, json) = try Self.run(["lint", "--format", "json", "--", binary, "sandbox"])
        #expect(jsonStatus == 1)
        let report = try JSONParser.parse(json.trimmingCharacters(in: .whitespacesAndNewlines))
        #expect((report["findings"]?.arrayValue?.count ?? 0) > 0)
        #expect(report["summary"]?["by_kind"]?["items_type"] == 1)

        // The read-only view through the proxy: the repaired schemas, without the tools whose defects repair must leave.
        let (cleanStatus, clean) = try Self.run(["lint", "--", binary, "serve", "--read-only", "--", binary, "sandbox"])
        #expect(cleanStatus == 0, "\(clean)")
        #expect(clean.contains("no schema problems"))

        let (failed, message) = try Self.run(["lint", "--timeout", "5s", "--", "/nonexistent/mcp-server"])
        #expect(failed == 2)
        #expect(message.contains("cannot list the tools"))
    }
}
