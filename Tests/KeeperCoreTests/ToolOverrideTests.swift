@testable import KeeperCore
import Logging
import Synchronization
import Testing

private func load(_ tools: String) -> (config: KeeperConfig?, problems: [ConfigProblem]) {
    let text = #"{"upstreams":{"notion":{"command":"npx","tools":\#(tools)}}}"#
    return ConfigLoader(environment: ["HOME": "/home/test"]).load(bytes: Array(text.utf8))
}

private let quiet = Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() })

/// `API-post-page` as the official server lists it, trimmed: `parent` and `properties` required.
private let postPage: JSONValue = [
    "name": "API-post-page", "description": "Create a page",
    "inputSchema": ["type": "object", "required": ["parent", "properties"], "properties": [
        "parent": ["type": "object", "required": ["page_id"], "properties": ["page_id": ["type": "string"]]],
        "properties": ["type": "object"],
    ]],
    "annotations": ["title": "Create a page"],
]

@Suite("Tool overrides: config, the tools the client sees, calls mapped back")
struct ToolOverrideTests {
    @Test("every override key is read, and the quarantine mode")
    func read() throws {
        let (config, problems) = load(#"{"quarantine":"new-and-changed","overrides":{"API-post-page":{"rename":"create-page","description_append":"Only under Inbox.","arguments":{"parent":{"page_id":"p1"}},"annotations":{"destructiveHint":false}},"API-delete-a-block":{"hide":true}}}"#)
        #expect(problems.isEmpty, "\(problems)")
        let tools = try #require(config?.upstream(named: "notion")?.tools)
        #expect(tools.quarantine == .newAndChanged)
        #expect(tools.overrides["API-post-page"] == ToolOverride(rename: "create-page", descriptionAppend: "Only under Inbox.",
                                                                  arguments: ["parent": ["page_id": "p1"]], annotations: ["destructiveHint": false]))
        #expect(tools.overrides["API-delete-a-block"]?.hide == true)
        #expect(tools.path(of: "API-post-page") == "upstreams.notion.tools.overrides.API-post-page")
    }

    @Test("each conflict or bad value is an error at its JSON path", arguments: [
        (#"{"overrides":{"a":{"rename":"x"},"b":{"rename":"x"}}}"#, "upstreams.notion.tools.overrides.b.rename", "\"a\" is renamed to \"x\" too"),
        (#"{"overrides":{"a":{"rename":"b"},"b":{"description":"kept"}}}"#, "upstreams.notion.tools.overrides.a.rename", "another tool"),
        (#"{"overrides":{"a":{"description":"x","description_append":"y"}}}"#, "upstreams.notion.tools.overrides.a.description_append", "not both"),
        (#"{"overrides":{"a":{"annotations":{"readOnlyHint":"yes"}}}}"#, "upstreams.notion.tools.overrides.a.annotations.readOnlyHint", "true or false"),
        (#"{"overrides":{"a":{"annotations":{"safe":true}}}}"#, "upstreams.notion.tools.overrides.a.annotations.safe", "unknown key"),
        (#"{"overrides":{"a":{"arguments":[1]}}}"#, "upstreams.notion.tools.overrides.a.arguments", "an object"),
        (#"{"overrides":{"a":{"rename":""}}}"#, "upstreams.notion.tools.overrides.a.rename", "1 to 128"),
        (#"{"overrides":{"a":{"alias":"b"}}}"#, "upstreams.notion.tools.overrides.a.alias", "unknown key"),
        (#"{"quarantine":"always"}"#, "upstreams.notion.tools.quarantine", "new-and-changed"),
    ])
    func conflicts(tools: String, path: String, words: String) {
        let (_, problems) = load(tools)
        let problem = problems.first { $0.path == path && $0.severity == .error }
        #expect(problem?.message.contains(words) == true, "\(problems)")
    }

    @Test("two tools may swap names; a hidden tool's other keys draw a warning")
    func swapAndHiddenWarning() {
        #expect(load(#"{"overrides":{"a":{"rename":"b"},"b":{"rename":"a"}}}"#).problems.isEmpty)
        let (config, problems) = load(#"{"overrides":{"a":{"hide":true,"rename":"b"}}}"#)
        #expect(config?.upstream(named: "notion") != nil)
        #expect(problems.map(\.severity) == [.warning] && problems.first?.path == "upstreams.notion.tools.overrides.a.hide", "\(problems)")
    }

    @Test("the client sees the new name, description, annotations, and a schema without the fixed arguments")
    func present() throws {
        var settings = ToolSettings()
        settings.overrides["API-post-page"] = ToolOverride(rename: "create-page", descriptionAppend: "Only under Inbox.",
                                                           arguments: ["parent": ["page_id": "p1"]], annotations: ["readOnlyHint": false])
        let shown = try #require(ToolOverrides(settings: settings).present(postPage, upstreamHas: { _ in false }))
        #expect(shown["name"] == "create-page")
        #expect(shown["description"] == "Create a page\n\nOnly under Inbox.")
        #expect(shown["inputSchema"]?["properties"]?["parent"] == nil)
        #expect(shown["inputSchema"]?["properties"]?["properties"] != nil)
        #expect(shown["inputSchema"]?["required"] == ["properties"])
        #expect(shown["annotations"] == ["title": "Create a page", "readOnlyHint": false])
        settings.overrides["API-post-page"] = ToolOverride(description: "Replaced", hide: false)
        #expect(ToolOverrides(settings: settings).present(postPage, upstreamHas: { _ in false })?["description"] == "Replaced")
        settings.overrides["API-post-page"] = ToolOverride(hide: true)
        #expect(ToolOverrides(settings: settings).present(postPage, upstreamHas: { _ in false }) == nil)
        #expect(ToolOverrides(settings: settings).present(toolDefinition("other"), upstreamHas: { _ in false }) == toolDefinition("other"))
    }

    @Test("calls route by the client's name; the old name, a hidden tool and a colliding rename are handled")
    func routes() {
        var settings = ToolSettings()
        settings.overridesPath = "upstreams.n.tools.overrides"
        settings.overrides["a"] = ToolOverride(rename: "b")
        settings.overrides["h"] = ToolOverride(hide: true)
        let overrides = ToolOverrides(settings: settings)
        #expect(overrides.route(clientName: "b", upstreamHas: { _ in false }) == .upstream("a", settings.overrides["a"]))
        #expect(overrides.route(clientName: "c", upstreamHas: { _ in true }) == .upstream("c", nil))
        guard case .refused(let old) = overrides.route(clientName: "a", upstreamHas: { _ in false }),
              case .refused(let hidden) = overrides.route(clientName: "h", upstreamHas: { _ in false }) else {
            Issue.record("not refused")
            return
        }
        #expect(old.contains("offered as \"b\"") && old.contains("upstreams.n.tools.overrides.a.rename"))
        #expect(hidden.contains("hidden") && hidden.contains("upstreams.n.tools.overrides.h.hide"))
        // The upstream has its own "b": the rename does not apply, both keep their names.
        #expect(overrides.route(clientName: "b", upstreamHas: { $0 == "b" }) == .upstream("b", nil))
        #expect(overrides.route(clientName: "a", upstreamHas: { $0 == "b" }) == .upstream("a", settings.overrides["a"]))
        #expect(overrides.clientName(of: "a", upstreamHas: { $0 == "b" }) == "a")
        let problems = overrides.problems(listed: ["a", "b"])
        #expect(problems.contains { $0.severity == .error && $0.path == "upstreams.n.tools.overrides.a.rename" }, "\(problems)")
        #expect(problems.contains { $0.severity == .warning && $0.path == "upstreams.n.tools.overrides.h" && $0.message.contains("lists no tool") })
    }

    @Test("fixed arguments are added to the call; a client that sends one is refused, naming the config path")
    func injection() throws {
        let override = ToolOverride(arguments: ["parent": ["page_id": "p1"]])
        let params: JSONValue = ["name": "create-page", "arguments": ["properties": [:]]]
        let mapped = try ToolOverrides.upstreamParams(params, name: "API-post-page", override: override, overridePath: "o.API-post-page").get()
        #expect(mapped["name"] == "API-post-page")
        #expect(mapped["arguments"] == ["properties": [:], "parent": ["page_id": "p1"]])
        let sent: JSONValue = ["name": "create-page", "arguments": ["parent": ["page_id": "p2"]]]
        guard case .failure(let refusal) = ToolOverrides.upstreamParams(sent, name: "API-post-page", override: override, overridePath: "o.API-post-page") else {
            Issue.record("not refused")
            return
        }
        #expect(refusal.message.contains("\"parent\" is fixed") && refusal.message.contains("o.API-post-page.arguments"))
    }

    @Test("through the stage: the upstream gets its own name and the fixed argument, checked against its original schema; errors name the client's name")
    func stageMapsAndValidatesOriginal() async throws {
        var settings = ToolSettings()
        settings.overrides["API-post-page"] = ToolOverride(rename: "create-page", arguments: ["parent": ["page_id": 7]])
        let catalog = makeCatalog([postPage])
        let pipeline = Pipeline([
            ToolSurfaceStage(settings: settings, quarantine: nil, upstream: "notion", toolsOptions: "--upstream notion", metrics: KeeperMetrics(), logger: quiet),
            ValidationStage(settings: ValidationSettings(), metrics: KeeperMetrics(), logger: quiet),
        ])
        let sent = Mutex<[JSONValue]>([])
        let terminal: Stage.Next = { exchange in
            sent.withLock { $0.append(exchange.message.params ?? .null) }
            return Reply(.upstream(.response(id: RequestID(1), result: ["content": []])))
        }
        let call = makeExchange(method: "tools/call", params: ["name": "create-page", "arguments": ["properties": [:]]], catalog: catalog)
        let reply = try await pipeline.run(call, terminal: terminal)
        // page_id 7 is not a string: the original schema refuses the fixed value; the error names create-page.
        guard case .proxy(let error, _) = reply.outcome else { Issue.record("forwarded: \(reply.outcome)"); return }
        #expect(sent.withLock { $0.isEmpty })
        #expect(error.message.contains("\"create-page\"") && error.message.contains("/parent/page_id"), "\(error.message)")

        settings.overrides["API-post-page"]?.arguments = ["parent": ["page_id": "p1"]]
        let fixed = Pipeline([
            ToolSurfaceStage(settings: settings, quarantine: nil, upstream: "notion", toolsOptions: "--upstream notion", metrics: KeeperMetrics(), logger: quiet),
            ValidationStage(settings: ValidationSettings(), metrics: KeeperMetrics(), logger: quiet),
        ])
        let ok = try await fixed.run(call, terminal: terminal)
        guard case .upstream = ok.outcome else { Issue.record("refused: \(ok.outcome)"); return }
        #expect(sent.withLock { $0 } == [["name": "API-post-page", "arguments": ["properties": [:], "parent": ["page_id": "p1"]]]])

        let listed = try await fixed.run(makeExchange(method: "tools/list", catalog: catalog)) { _ in
            Reply(.upstream(.response(id: RequestID(1), result: ["tools": [postPage]])))
        }
        guard case .upstream(let response) = listed.outcome else { Issue.record("no list"); return }
        #expect(response.result?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["create-page"])
    }

    @Test("an annotation override decides the policy tier over the server's annotations and the built-in lists")
    func annotationTier() {
        #expect(ToolPolicy.tier(of: "API-get-self", annotations: ["readOnlyHint": true], configured: ["destructiveHint": true]) == .admin)
        #expect(ToolPolicy.tier(of: "API-post-page", annotations: nil, configured: ["readOnlyHint": true]) == .read)
        #expect(ToolPolicy.tier(of: "API-post-search", annotations: nil, configured: ["readOnlyHint": false]) == .write)
        #expect(ToolPolicy.tier(of: "API-delete-a-block", annotations: nil, configured: ["readOnlyHint": false]) == .admin)
        #expect(ToolPolicy.tier(of: "API-get-self", annotations: nil, configured: ["title": "Me"]) == .read)
        var read = PolicySettings()
        read.tier = .read
        #expect(ToolPolicy(settings: read).refusal(for: "API-post-page", annotations: nil, configured: ["readOnlyHint": true]) == nil)
        #expect(ToolPolicy(settings: PolicySettings()).refusal(for: "API-get-self", annotations: nil, configured: ["destructiveHint": true]) != nil)
    }
}
