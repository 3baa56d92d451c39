import Foundation
@testable import KeeperCore
import Logging
import Testing

#if canImport(Glibc)
import Glibc
#endif

private func tool(_ name: String, _ description: String) -> JSONValue {
    ["name": .string(name), "description": .string(description), "inputSchema": ["type": "object", "properties": ["q": ["type": "string"]]]]
}

private func withStore<T>(_ body: (ToolApprovalStore) async throws -> T) async throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mcpkeeper-tools-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: url) }
    return try await body(ToolApprovalStore(stateDirectory: url.path, upstream: "notion"))
}

private func mode(_ path: String) -> mode_t {
    var info = stat()
    return stat(path, &info) == 0 ? info.st_mode & 0o777 : 0
}

@Suite("Tool quarantine: approved definitions, what is held back, and the diff")
struct ToolQuarantineTests {
    @Test("the hash ignores member order and unpinned fields, and sees any change in a pinned one")
    func hash() throws {
        let a = try JSONParser.parse(#"{"name":"t","description":"d","inputSchema":{"type":"object","properties":{"a":{},"b":{}}},"execution":{"x":1}}"#)
        let b = try JSONParser.parse(#"{"inputSchema":{"properties":{"b":{},"a":{}},"type":"object"},"description":"d","name":"t"}"#)
        #expect(ToolDefinition.hash(a) == ToolDefinition.hash(b))
        let c = try JSONParser.parse(#"{"name":"t","description":"d","inputSchema":{"type":"object","properties":{"a":{},"b":{}}},"annotations":{"readOnlyHint":true}}"#)
        #expect(ToolDefinition.hash(a) != ToolDefinition.hash(c))
        #expect(ToolDefinition.changedFields(from: a, to: c) == ["annotations"])
        #expect(ToolDefinition.hash(a).count == 64)
    }

    @Test("the store is written 0600 in a 0700 directory, atomically, and a file others can write or that is not JSON is refused and left alone")
    func store() async throws {
        try await withStore { store in
            #expect(try store.load() == nil)
            try store.update { $0.approve(tool("t", "d")) }
            #expect(mode(store.path) == 0o600)
            #expect(mode(store.directory) == 0o700)
            #expect(try store.load()?.isApproved(tool("t", "d")) == true)
            #expect(try FileManager.default.contentsOfDirectory(atPath: store.directory).filter { $0.contains(".tmp") }.isEmpty)
            chmod(store.path, 0o666)
            #expect(throws: FileAccessError.self) { try store.load() }
            chmod(store.path, 0o600)
            try Data("not json".utf8).write(to: URL(fileURLWithPath: store.path))
            #expect(throws: FileAccessError.self) { try store.update { $0.approve(tool("t", "d")) } }
            #expect(try String(contentsOfFile: store.path, encoding: .utf8) == "not json")
        }
    }

    @Test("first use approves everything; a changed tool is held with its diff and noted as pending; a new one is approved under changed, held under new-and-changed")
    func screen() async throws {
        try await withStore { store in
            let quarantine = ToolQuarantine(mode: .changed, store: store)
            let first = quarantine.screen(page: [tool("a", "one"), tool("b", "two")], all: [], session: "s", firstPage: true)
            #expect(first.firstUse && first.holds.isEmpty)
            let second = quarantine.screen(page: [tool("a", "one"), tool("b", "TWO"), tool("c", "new")], all: [], session: "s", firstPage: true)
            #expect(!second.firstUse)
            #expect(second.holds.map(\.tool) == ["b"])
            let hold = try #require(second.holds.first)
            #expect(hold.changed == ["description"] && hold.reason.contains("description changed"))
            #expect(hold.diff.contains("-  \"description\": \"two\"") && hold.diff.contains("+  \"description\": \"TWO\""), "\(hold.diff)")
            let saved = try #require(try store.load())
            #expect(saved.tools["b"]?.pending?.definition["description"] == "TWO")
            #expect(saved.isApproved(tool("c", "new")), "a new tool is approved on sight under \"changed\"")
            #expect(quarantine.hold(for: tool("b", "TWO")) == hold)

            let strict = ToolQuarantine(mode: .newAndChanged, store: store)
            #expect(strict.screen(page: [tool("d", "newer")], all: [], session: "s2", firstPage: true).holds.first?.reason.contains("new") == true)
        }
    }

    @Test("approving a held tool releases it for the session once; forgetting the session drops it")
    func release() async throws {
        try await withStore { store in
            let quarantine = ToolQuarantine(mode: .changed, store: store)
            _ = quarantine.screen(page: [tool("a", "one")], all: [], session: "s", firstPage: true)
            _ = quarantine.screen(page: [tool("a", "changed")], all: [], session: "s", firstPage: true)
            #expect(!quarantine.releasedAny(session: "s"))
            try store.update { approvals in
                if let pending = approvals.tools["a"]?.pending { approvals.approve(pending.definition) }
            }
            #expect(quarantine.releasedAny(session: "s"))
            #expect(!quarantine.releasedAny(session: "s"))
            #expect(quarantine.hold(for: tool("a", "changed")) == nil)
        }
    }

    @Test("through the stage: a held tool is left out of tools/list, and its call is refused with the reason, the diff and the approve command")
    func stage() async throws {
        try await withStore { store in
            try store.update { $0.approve(tool("a", "one")) }
            let quarantine = ToolQuarantine(mode: .changed, store: store)
            let stage = ToolSurfaceStage(settings: ToolSettings(), quarantine: quarantine, upstream: "notion", toolsOptions: "--upstream notion",
                                         metrics: KeeperMetrics(), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
            let listed = [tool("a", "two"), tool("b", "fine")]
            let catalog = makeCatalog(listed)
            let list = try await stage.handle(makeExchange(method: "tools/list", catalog: catalog)) { _ in
                Reply(.upstream(.response(id: RequestID(1), result: ["tools": .array(listed)])))
            }
            guard case .upstream(let response) = list.outcome else { Issue.record("no list"); return }
            #expect(response.result?["tools"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["b"])
            let call = try await stage.handle(makeExchange(method: "tools/call", params: ["name": "a", "arguments": [:]], catalog: catalog)) { _ in
                Issue.record("a quarantined call was forwarded")
                return Reply(.upstream(.response(id: RequestID(1), result: [:])))
            }
            guard case .proxy(let error, _) = call.outcome else { Issue.record("not refused"); return }
            #expect(error.message.contains("quarantined") && error.message.contains("mcpkeeper tools approve --upstream notion a"), "\(error.message)")
            #expect(error.data?["quarantine"]?["changed"] == ["description"])
            #expect(error.data?["quarantine"]?["diff"]?.stringValue?.contains("+  \"description\": \"two\"") == true)
        }
    }
}
