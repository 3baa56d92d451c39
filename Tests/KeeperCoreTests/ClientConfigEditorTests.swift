import KeeperCore
import Testing

/// Client configs as users have them: the stock Notion entry with its escaped OPENAPI_MCP_HEADERS,
/// other servers, unknown keys, unicode, odd numbers, tabs and CRLF.
enum ClientFixtures {
    static let claudeDesktop = #"""
    {
      "mcpServers": {
        "notionApi": {
          "command": "npx",
          "args": ["-y", "@notionhq/notion-mcp-server"],
          "env": {
            "OPENAPI_MCP_HEADERS": "{\"Authorization\": \"Bearer ntn_0123456789abcdefghijABCDEFGHIJ0123456789abcdef\", \"Notion-Version\": \"2022-06-28\" }"
          }
        },
        "filesystem": {
          "command": "npx",
          "args": [
            "-y",
            "@modelcontextprotocol/server-filesystem",
            "/Users/zoë/Документы"
          ]
        }
      },
      "globalShortcut": "Ctrl+Space",
      "scale": 1.50e0
    }

    """#

    static let claudeCode = #"""
    {"mcpServers": {"notion": {"type": "stdio", "command": "npx", "args": ["-y", "@notionhq/notion-mcp-server"], "env": {"NOTION_TOKEN": "${NOTION_TOKEN}"}},
                    "hosted": {"type": "http", "url": "https://mcp.notion.com/mcp", "headers": {"X-Team": "ünïcode"}}}}
    """#

    static let cursor = #"""
    {
        "mcpServers": {
            "remote": {
                "url": "http://127.0.0.1:3000/sse",
                "type": "sse",
                "headers": {
                    "Authorization": "Bearer ${env:TOKEN}"
                },
                "disabled": false
            },
            "local": { "command": "/opt/bin/server", "env": { "DEBUG": "1" } }
        },
        "x-unknown": [1, 2.0, -3e10]
    }
    """#

    static let vscode = "{\r\n\t\"inputs\": [{\"type\": \"promptString\", \"id\": \"token\", \"password\": true}],\r\n\t\"servers\": {\r\n\t\t\"notion\": {\r\n\t\t\t\"type\": \"stdio\",\r\n\t\t\t\"command\": \"npx\",\r\n\t\t\t\"args\": [\r\n\t\t\t\t\"-y\",\r\n\t\t\t\t\"@notionhq/notion-mcp-server\"\r\n\t\t\t],\r\n\t\t\t\"env\": {\"NOTION_TOKEN\": \"${input:token}\"}\r\n\t\t}\r\n\t}\r\n}\r\n"

    static let all: [(MCPClient, String)] = [(.claudeDesktop, claudeDesktop), (.claudeCode, claudeCode), (.cursor, cursor), (.vscode, vscode)]
}

@Suite("Wrapping and unwrapping client configs")
struct ClientConfigEditorTests {
    let executable = "/usr/local/bin/mcpkeeper"

    func editor(_ client: MCPClient, _ text: String) throws -> ClientConfigEditor {
        try ClientConfigEditor(file: "config.json", bytes: Array(text.utf8), client: client)
    }

    @Test("wrap then unwrap gives back the file byte for byte, for every client", arguments: ClientFixtures.all.indices)
    func roundTrip(index: Int) throws {
        let (client, text) = ClientFixtures.all[index]
        let wrapped = try editor(client, text).wrap(.all, executable: executable)
        #expect(wrapped.changed)
        #expect(wrapped.changes.allSatisfy { if case .wrapped = $0.outcome { true } else { false } })
        let restored = try editor(client, String(decoding: wrapped.bytes, as: UTF8.self)).unwrap(.all)
        #expect(restored.bytes == Array(text.utf8))
    }

    @Test("wrapping twice changes nothing", arguments: ClientFixtures.all.indices)
    func wrapTwice(index: Int) throws {
        let (client, text) = ClientFixtures.all[index]
        let once = try editor(client, text).wrap(.all, executable: executable)
        let twice = try editor(client, String(decoding: once.bytes, as: UTF8.self)).wrap(.all, executable: executable)
        #expect(!twice.changed)
        #expect(twice.bytes == once.bytes)
        #expect(twice.changes.allSatisfy { $0.outcome == .alreadyWrapped })
    }

    @Test("a wrapped stdio entry runs mcpkeeper serve in front of the original command and keeps its env")
    func stdioEntry() throws {
        let edit = try editor(.claudeDesktop, ClientFixtures.claudeDesktop).wrap(.server("notionApi"), executable: executable)
        let root = try JSONParser.parse(edit.bytes)
        let entry = try #require(root["mcpServers"]?["notionApi"])
        let original = try JSONParser.parse(ClientFixtures.claudeDesktop)["mcpServers"]?["notionApi"]
        #expect(entry["command"] == .string(executable))
        #expect(entry["args"] == ["serve", "--name", "notionApi", "--", "npx", "-y", "@notionhq/notion-mcp-server"])
        #expect(entry["env"] == original?["env"])
        #expect(entry[ClientServerEntry.originalKey] == original)
    }

    @Test("everything but the wrapped entry stays as it was: other servers, unknown keys, numbers, text outside")
    func restUntouched() throws {
        let text = ClientFixtures.claudeDesktop
        let edit = try editor(.claudeDesktop, text).wrap(.server("notionApi"), executable: executable)
        let after = String(decoding: edit.bytes, as: UTF8.self)
        let before = try JSONParser.parse(text), wrapped = try JSONParser.parse(after)
        #expect(wrapped["mcpServers"]?["filesystem"] == before["mcpServers"]?["filesystem"])
        #expect(wrapped["scale"]?.numberValue?.text == "1.50e0")
        #expect(wrapped["globalShortcut"] == "Ctrl+Space")
        let entryStart = try #require(text.range(of: "\"notionApi\": {")).upperBound
        #expect(after.hasPrefix(String(text[..<entryStart])))
        let filesystem = try #require(text.range(of: "    \"filesystem\"")).lowerBound
        #expect(after.hasSuffix(String(text[filesystem...])))
    }

    @Test("an HTTP entry becomes a stdio entry with --url, its transport and its headers")
    func remoteEntry() throws {
        let edit = try editor(.claudeCode, ClientFixtures.claudeCode).wrap(.server("hosted"), executable: executable)
        let entry = try #require(try JSONParser.parse(edit.bytes)["mcpServers"]?["hosted"])
        #expect(entry["type"] == "stdio")
        #expect(entry["url"] == nil)
        #expect(entry["headers"] == nil)
        #expect(entry["args"] == ["serve", "--name", "hosted", "--url", "https://mcp.notion.com/mcp", "--transport", "streamable-http",
                                  "--header", "X-Team: ünïcode"])
        let sse = try editor(.cursor, ClientFixtures.cursor).wrap(.server("remote"), executable: executable)
        let args = try JSONParser.parse(sse.bytes)["mcpServers"]?["remote"]?["args"]?.arrayValue
        #expect(args?.contains("sse") == true)
        #expect(args?.last == "Authorization: Bearer ${env:TOKEN}")
    }

    @Test("a file that is not valid JSON is refused with its line, its column and a fix")
    func invalidJSON() {
        let broken = "{\n  \"mcpServers\": {\n    \"notionApi\": {\"command\": \"npx\" \"args\": []}\n  }\n}\n"
        let error = #expect(throws: ClientConfigError.self) { try editor(.claudeDesktop, broken) }
        #expect(error?.path == "line 3, column 36")
        #expect(error?.description.contains("config.json") == true)
        #expect(error?.description.contains("was not changed") == true)
    }

    @Test("a server that does not exist is named with its JSON path and the servers the file has")
    func unknownServer() throws {
        let error = #expect(throws: ClientConfigError.self) {
            try editor(.claudeDesktop, ClientFixtures.claudeDesktop).wrap(.server("notion"), executable: executable)
        }
        #expect(error?.path == "mcpServers.notion")
        #expect(error?.problem.contains("notionApi, filesystem") == true)
    }

    @Test("an entry shape mcpkeeper does not know is refused with its JSON path and a fix")
    func unknownShapes() throws {
        let cases: [(String, String)] = [
            (#"{"mcpServers": {"a": {"transport": "ws://x"}}}"#, "mcpServers.a"),
            (#"{"mcpServers": {"a": {"command": "x", "args": ["ok", 42]}}}"#, "mcpServers.a.args[1]"),
            (#"{"mcpServers": {"a": {"url": "https://x", "type": "websocket"}}}"#, "mcpServers.a.type"),
            (#"{"mcpServers": {"a": {"command": "x", "env": {"K": 1}}}}"#, "mcpServers.a.env.K"),
            (#"{"mcpServers": {"a": "npx"}}"#, "mcpServers.a"),
        ]
        for (text, path) in cases {
            let error = #expect(throws: ClientConfigError.self) { try editor(.claudeDesktop, text).wrap(.all, executable: executable) }
            #expect(error?.path == path, "\(text)")
            #expect(error?.fix.isEmpty == false)
        }
    }

    @Test("unwrap leaves servers that are not wrapped alone and says so")
    func unwrapNotWrapped() throws {
        let edit = try editor(.cursor, ClientFixtures.cursor).unwrap(.all)
        #expect(!edit.changed)
        #expect(edit.changes.map(\.outcome) == [.notWrapped, .notWrapped])
    }

    @Test("unwrapping says so when the wrapped entry's env was edited after wrapping")
    func editedAfterWrapping() throws {
        let wrapped = try editor(.claudeCode, ClientFixtures.claudeCode).wrap(.server("notion"), executable: executable)
        let edited = String(decoding: wrapped.bytes, as: UTF8.self)
            .replacingOccurrences(of: #""env": {"NOTION_TOKEN": "${NOTION_TOKEN}"}, "x-mcpkeeper"#, with: #""env": {"NOTION_TOKEN": "ntn_new"}, "x-mcpkeeper"#)
        let restored = try editor(.claudeCode, edited).unwrap(.server("notion"))
        #expect(restored.changes.first?.note?.hasPrefix("env changed after wrapping") == true)
    }

    @Test("a header line splits at its first colon and trims both sides")
    func headerLines() {
        #expect(HeaderLine.parse("Authorization: Bearer a:b")! == ("Authorization", "Bearer a:b"))
        #expect(HeaderLine.parse(" X-Team :a")! == ("X-Team", "a"))
        #expect(HeaderLine.parse("no colon") == nil)
        #expect(HeaderLine.parse(": value") == nil)
    }

    @Test("an entry that already runs mcpkeeper serve by hand is not wrapped again")
    func servedByHand() throws {
        let text = #"{"mcpServers": {"n": {"command": "/usr/bin/mcpkeeper", "args": ["serve", "--", "npx"]}}}"#
        let edit = try editor(.claudeDesktop, text).wrap(.all, executable: executable)
        #expect(!edit.changed)
        #expect(edit.changes.first?.outcome == .servedByHand)
    }
}

@Suite("Unified diffs for --dry-run")
struct UnifiedDiffTests {
    @Test("a changed line shows as removed then added, with three lines of context and hunk ranges")
    func changedLine() {
        let old = (1...10).map { "line \($0)" }.joined(separator: "\n") + "\n"
        let new = old.replacingOccurrences(of: "line 5\n", with: "line five\n")
        let diff = UnifiedDiff.render(old: old, new: new, oldName: "a", newName: "b")
        #expect(diff == "--- a\n+++ b\n@@ -2,7 +2,7 @@\n line 2\n line 3\n line 4\n-line 5\n+line five\n line 6\n line 7\n line 8\n")
    }

    @Test("equal texts give an empty diff")
    func equal() {
        #expect(UnifiedDiff.render(old: "x\n", new: "x\n", oldName: "a", newName: "b").isEmpty)
    }

    @Test("a file without a final newline is marked so")
    func noFinalNewline() {
        let diff = UnifiedDiff.render(old: "a\nb", new: "a\nc", oldName: "x", newName: "y")
        #expect(diff.contains("-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"))
    }
}
