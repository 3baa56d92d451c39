import KeeperCore
import NotionSandbox
import Testing

@Suite("Notion sandbox workspace")
struct NotionWorkspaceTests {
    /// The body of a successful call, or a test failure naming what came back instead.
    func ok(_ outcome: SandboxToolOutcome, sourceLocation: SourceLocation = #_sourceLocation) -> JSONValue {
        guard case .ok(let body) = outcome else {
            Issue.record("expected a result, got \(outcome)", sourceLocation: sourceLocation)
            return .null
        }
        return body
    }

    func teamHomeID(_ workspace: inout NotionWorkspace) -> String {
        let found = ok(workspace.call(tool: "API-post-search", arguments: ["query": "team home"]))
        return found["results"]?.arrayValue?.first?["id"]?.stringValue ?? ""
    }

    @Test("two seeds serialize identically")
    func seedIsDeterministic() {
        var first = NotionWorkspace.seeded()
        var second = NotionWorkspace.seeded()
        let a = ok(first.call(tool: "API-post-search", arguments: [:]))
        let b = ok(second.call(tool: "API-post-search", arguments: [:]))
        #expect(a.serialized() == b.serialized())
        #expect(a["results"]?.arrayValue?.count == 7)  // Team Home, five tasks, the Tasks data source
    }

    @Test("get-self returns the integration's bot user")
    func getSelfReturnsBot() {
        var workspace = NotionWorkspace.seeded()
        let me = ok(workspace.call(tool: "API-get-self", arguments: [:]))
        #expect(me["object"] == "user")
        #expect(me["type"] == "bot")
        #expect(me["name"] == "mcpkeeper sandbox")
    }

    @Test("a page created with post-page comes back from retrieve-a-page with its content")
    func postPageRoundTrip() {
        var workspace = NotionWorkspace.seeded()
        let home = teamHomeID(&workspace)
        let created = ok(workspace.call(tool: "API-post-page", arguments: [
            "parent": ["page_id": .string(home)],
            "properties": ["title": [["text": ["content": "Release notes"]]]],
            "children": [["paragraph": ["rich_text": [["text": ["content": "First line"]]]]]],
        ]))
        let id = created["id"]?.stringValue ?? ""
        let fetched = ok(workspace.call(tool: "API-retrieve-a-page", arguments: ["page_id": .string(id)]))
        #expect(fetched == created)
        #expect(fetched["parent"]?["page_id"]?.stringValue == home)
        #expect(fetched["properties"]?["title"]?["title"]?.arrayValue?.first?["plain_text"] == "Release notes")
        let content = ok(workspace.call(tool: "API-get-block-children", arguments: ["block_id": .string(id)]))
        #expect(content["results"]?.arrayValue?.first?["paragraph"]?["rich_text"]?.arrayValue?.first?["plain_text"] == "First line")
        let homeChildren = ok(workspace.call(tool: "API-get-block-children", arguments: ["block_id": .string(home)]))
        #expect(homeChildren["results"]?.arrayValue?.last?["type"] == "child_page")
    }

    @Test("a task created in the data source follows its schema and is found by a checkbox filter")
    func dataSourcePages() {
        var workspace = NotionWorkspace.seeded()
        let sources = ok(workspace.call(tool: "API-post-search", arguments: [
            "filter": ["property": "object", "value": "data_source"],
        ]))
        let sourceID = sources["results"]?.arrayValue?.first?["id"] ?? .null
        _ = ok(workspace.call(tool: "API-post-page", arguments: [
            "parent": ["data_source_id": sourceID],
            "properties": ["Name": ["title": [["text": ["content": "Ship it"]]]], "Done": ["checkbox": true]],
        ]))
        let done = ok(workspace.call(tool: "API-query-data-source", arguments: [
            "data_source_id": sourceID, "filter": ["property": "Done", "checkbox": ["equals": true]],
        ]))
        let names = (done["results"]?.arrayValue ?? []).map { $0["properties"]?["Name"]?["title"]?.arrayValue?.first?["plain_text"] }
        #expect(names == ["Rotate the Notion token", "Ship it"])
        let wrongType = workspace.call(tool: "API-post-page", arguments: [
            "parent": ["data_source_id": sourceID], "properties": ["Done": ["checkbox": "yes"]],
        ])
        guard case .notionError(400, "validation_error", let message) = wrongType else {
            Issue.record("expected a validation error, got \(wrongType)")
            return
        }
        #expect(message.contains("body.properties.Done.checkbox"))
    }

    @Test("search finds pages by title and paginates with start_cursor")
    func searchFindsAndPaginates() {
        var workspace = NotionWorkspace.seeded()
        let found = ok(workspace.call(tool: "API-post-search", arguments: ["query": "NOTION TOKEN"]))
        #expect(found["results"]?.arrayValue?.count == 1)

        var seen: [JSONValue] = []
        var cursor: JSONValue = .null
        repeat {
            let page = ok(workspace.call(tool: "API-post-search", arguments: [
                "filter": ["property": "object", "value": "page"], "page_size": 2, "start_cursor": cursor,
            ]))
            seen += page["results"]?.arrayValue?.compactMap { $0["id"] } ?? []
            cursor = page["next_cursor"] ?? .null
            #expect(page["has_more"] == .bool(!cursor.isNull))
        } while !cursor.isNull && seen.count < 20
        #expect(seen.count == 6)
        #expect(Set(seen).count == 6)
    }

    @Test("an unknown page id is a 404 object_not_found")
    func unknownPageIsNotFound() {
        var workspace = NotionWorkspace.seeded()
        let outcome = workspace.call(tool: "API-retrieve-a-page", arguments: ["page_id": "12345678-1234-4123-8123-123456789abc"])
        guard case .notionError(let status, let code, _) = outcome else {
            Issue.record("expected an error, got \(outcome)")
            return
        }
        #expect(status == 404)
        #expect(code == "object_not_found")
    }

    @Test("a missing required argument is a 400 validation_error naming the field")
    func missingArgumentIsValidationError() {
        var workspace = NotionWorkspace.seeded()
        let outcome = workspace.call(tool: "API-retrieve-a-page", arguments: [:])
        guard case .notionError(let status, let code, let message) = outcome else {
            Issue.record("expected an error, got \(outcome)")
            return
        }
        #expect(status == 400)
        #expect(code == "validation_error")
        #expect(message.contains("page_id"))
        let body = workspace.notionErrorJSON(status: status, code: code, message: message)
        #expect(body["object"] == "error")
        #expect(body["status"] == 400)
        #expect(body["request_id"]?.stringValue?.count == 36)
    }

    @Test("writes change the workspace: delete-a-block trashes, create-a-comment adds")
    func writesChangeTheWorkspace() {
        var workspace = NotionWorkspace.seeded()
        let home = teamHomeID(&workspace)
        let before = ok(workspace.call(tool: "API-get-block-children", arguments: ["block_id": .string(home)]))
        let first = before["results"]?.arrayValue?.first?["id"] ?? .null
        let deleted = ok(workspace.call(tool: "API-delete-a-block", arguments: ["block_id": first]))
        #expect(deleted["in_trash"] == true)
        let after = ok(workspace.call(tool: "API-get-block-children", arguments: ["block_id": .string(home)]))
        #expect(after["results"]?.arrayValue?.count == (before["results"]?.arrayValue?.count ?? 0) - 1)

        _ = ok(workspace.call(tool: "API-create-a-comment", arguments: [
            "parent": ["page_id": .string(home)], "rich_text": [["text": ["content": "Noted"]]],
        ]))
        let thread = ok(workspace.call(tool: "API-retrieve-a-comment", arguments: ["block_id": .string(home)]))
        #expect(thread["results"]?.arrayValue?.count == 2)
    }

    @Test("every catalog tool has an object inputSchema, a description and annotations")
    func catalogToolsAreWellFormed() {
        #expect(SandboxToolCatalog.tools.count >= 18)
        for tool in SandboxToolCatalog.tools {
            let name = tool["name"]?.stringValue ?? ""
            #expect(name.hasPrefix("API-"))
            #expect(tool["description"]?.stringValue?.hasPrefix("Notion | ") == true, "\(name)")
            #expect(tool["inputSchema"]?["type"] == "object", "\(name)")
            #expect(tool["inputSchema"]?["properties"]?.objectValue != nil, "\(name)")
            let annotations = tool["annotations"]
            let readOnly = annotations?["readOnlyHint"] == true
            #expect(readOnly != (annotations?["destructiveHint"] == true), "\(name)")
            let readingPost = name == "API-post-search" || name == "API-query-data-source"
            #expect(SandboxToolCatalog.isWrite(name) == !(readOnly || readingPost), "\(name)")
            for required in tool["inputSchema"]?["required"]?.arrayValue ?? [] {
                #expect(tool["inputSchema"]?["properties"]?[required.stringValue ?? ""] != nil, "\(name)")
            }
        }
        #expect(!SandboxToolCatalog.isWrite("API-get-self"))
        #expect(SandboxToolCatalog.isWrite("API-patch-page"))
    }

    @Test("call handles every catalog tool and refuses only names outside it")
    func callHandlesEveryCatalogTool() {
        var workspace = NotionWorkspace.seeded()
        for name in SandboxToolCatalog.names {
            #expect(workspace.call(tool: name, arguments: [:]) != .unknownTool, "\(name)")
        }
        #expect(workspace.call(tool: "API-no-such-thing", arguments: [:]) == .unknownTool)
    }
}
