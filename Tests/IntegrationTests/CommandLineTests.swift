import Foundation
import KeeperCore
import Testing

@Suite("mcpkeeper's command line")
struct CommandLineTests {
    @Test("config check lists every problem with its JSON path and exits 1")
    func configCheckReportsProblems() async throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("bad.json")
        try Data(#"""
        {"upstreams": {"a": {"command": "x", "args": "oops"}, "b": {"url": "ftp://nope"}},
         "retry": {"deadline": "soon"}, "colour": "blue"}
        """#.utf8).write(to: file)
        let check = try ProxyProcess(["config", "check", file.path])
        var output: [String] = []
        while let line = try? await check.nextLine(timeout: .seconds(5)) { output.append(line) }
        #expect(await check.waitForExit() == 1)
        let text = output.joined(separator: "\n")
        #expect(text.contains("upstreams.a.args"))
        #expect(text.contains("upstreams.b.url"))
        #expect(text.contains("retry.deadline"))
        #expect(text.contains("colour"))
    }

    @Test("serve with an unknown command says it cannot start it and exits non-zero once the client leaves")
    func serveUnknownCommand() async throws {
        let proxy = try ProxyProcess(["serve", "--", "/nonexistent/mcp-server"])
        proxy.closeInput()
        #expect(await proxy.waitForExit() == 1)
        #expect(proxy.stderr.contains("cannot start '/nonexistent/mcp-server'"))
    }

    @Test("serve with a missing Notion token names the variable and how to set it")
    func serveMissingToken() async throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("c.json")
        try Data(#"{"upstreams": {"notion": {"command": "npx", "notion_token_env": "MCPKEEPER_TEST_UNSET_TOKEN"}}}"#.utf8).write(to: file)
        let proxy = try ProxyProcess(["serve", "--config", file.path])
        #expect(await proxy.waitForExit() == 2)
        #expect(proxy.stderr.contains("export MCPKEEPER_TEST_UNSET_TOKEN=ntn_"))
    }
}
