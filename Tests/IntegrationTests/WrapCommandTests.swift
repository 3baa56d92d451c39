import Foundation
import KeeperCore
import Testing

@Suite("mcpkeeper wrap and unwrap")
struct WrapCommandTests {
    /// Claude Desktop's stock Notion entry, with mcpkeeper's sandbox standing in for npx.
    func claudeConfig(command: String) -> String {
        """
        {
          "mcpServers": {
            "notionApi": {
              "command": "\(command)",
              "args": ["sandbox"],
              "env": {
                "OPENAPI_MCP_HEADERS": "{\\"Authorization\\": \\"Bearer ntn_****\\", \\"Notion-Version\\": \\"2022-06-28\\" }"
              }
            },
            "other": {"command": "npx", "args": ["-y", "some-server"]}
          },
          "globalShortcut": ""
        }

        """
    }

    func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> (status: Int32?, output: [String], errors: String) {
        let process = try ProxyProcess(arguments, environment: environment)
        let output = await process.allLines()
        return (await process.waitForExit(), output, await process.completeStderr())
    }

    func files(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    }

    @Test("--dry-run prints a unified diff and writes nothing")
    func dryRun() async throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("claude_desktop_config.json")
        let original = Data(claudeConfig(command: "npx").utf8)
        try original.write(to: file)
        let (status, output, _) = try await run(["wrap", "--client", "claude-desktop", "--file", file.path, "--server", "notionApi",
                                                  "--dry-run", "--executable", "/opt/mcpkeeper"])
        #expect(status == 0)
        let text = output.joined(separator: "\n")
        #expect(text.contains("+++ \(file.path) (after)"))
        #expect(text.contains(#"-      "command": "npx","#))
        #expect(text.contains(#"+      "command": "/opt/mcpkeeper","#))
        #expect(try Data(contentsOf: file) == original)
        #expect(try files(in: dir) == ["claude_desktop_config.json"])
    }

    @Test("wrap replaces the file keeping its mode, with a timestamped backup; unwrap restores it byte for byte")
    func wrapAndUnwrap() async throws {
        let dir = try temporaryDirectory()
        let home = dir.appendingPathComponent("home")
        let path = try #require(MCPClient.claudeDesktop.candidateFiles(home: home.path, workingDirectory: dir.path).first)
        try FileManager.default.createDirectory(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path, withIntermediateDirectories: true)
        let original = Data(claudeConfig(command: "npx").utf8)
        try original.write(to: URL(fileURLWithPath: path))
        chmod(path, 0o640)
        let environment = ["HOME": home.path]

        let wrapped = try await run(["wrap", "--client", "claude-desktop", "--server", "notionApi"], environment: environment)
        #expect(wrapped.status == 0, "\(wrapped.errors)")
        #expect(wrapped.output.contains { $0.hasPrefix("notionApi: wrapped") })
        let after = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(after != original)
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int == 0o640)
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
        let backups = try files(in: directory).filter { $0.contains(".mcpkeeper-backup-") }
        #expect(backups.count == 1)
        let backup = directory.appendingPathComponent(try #require(backups.first)).path
        #expect(try Data(contentsOf: URL(fileURLWithPath: backup)) == original)
        #expect(try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int == 0o640)

        let again = try await run(["wrap", "--client", "claude-desktop", "--server", "notionApi"], environment: environment)
        #expect(again.status == 0)
        #expect(again.output.contains("notionApi: already wrapped; nothing to do"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == after)

        let unwrapped = try await run(["unwrap", "--client", "claude-desktop", "--all"], environment: environment)
        #expect(unwrapped.status == 0, "\(unwrapped.errors)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == original)
    }

    @Test("a file that is not valid JSON, or a server that is not there, is left byte for byte and the error names the file and the path",
          arguments: [("{\"mcpServers\": {\"notionApi\": {\"command\": \"npx\",}}}", "notionApi", "line 1, column 48"),
                      ("{\"mcpServers\": {\"notionApi\": {\"command\": \"npx\"}}}", "notion", "mcpServers.notion"),
                      ("{\"mcpServers\": {\"notionApi\": {\"command\": \"npx\", \"args\": [1]}}}", "notionApi", "mcpServers.notionApi.args[0]")])
    func badFiles(text: String, server: String, path: String) async throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("mcp.json")
        try Data(text.utf8).write(to: file)
        let (status, _, errors) = try await run(["wrap", "--client", "cursor", "--file", file.path, "--server", server])
        #expect(status == 1)
        #expect(errors.contains(file.path))
        #expect(errors.contains(path), "\(errors)")
        #expect(errors.contains("fix: "))
        #expect(try Data(contentsOf: file) == Data(text.utf8))
        #expect(try files(in: dir) == ["mcp.json"])
    }

    @Test("a wrapped Claude Desktop entry starts and answers initialize and tools/list through mcpkeeper in front of the sandbox")
    func wrappedEntryRuns() async throws {
        let binary = try Binary.path()
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("claude_desktop_config.json")
        try Data(claudeConfig(command: binary).utf8).write(to: file)
        let wrap = try await run(["wrap", "--client", "claude-desktop", "--file", file.path, "--server", "notionApi", "--executable", binary])
        #expect(wrap.status == 0, "\(wrap.errors)")

        let entry = try #require(try JSONParser.parse(Array(try Data(contentsOf: file)))["mcpServers"]?["notionApi"])
        #expect(entry["command"] == .string(binary))
        let arguments = (entry["args"]?.arrayValue ?? []).compactMap { $0.stringValue }
        #expect(Array(arguments.prefix(5)) == ["serve", "--name", "notionApi", "--", binary])
        let environment = Dictionary(uniqueKeysWithValues: (entry["env"]?.objectValue ?? JSONObject()).compactMap { member in
            member.value.stringValue.map { (member.key, $0) }
        })
        let client = try ProxyProcess(arguments, environment: environment)
        client.request(1, "initialize", initializeParams)
        let (initialized, _) = try await client.response(to: 1)
        #expect(initialized["result"]?["serverInfo"]?["name"] == "notion-sandbox")
        client.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
        client.request(2, "tools/list")
        let (listed, _) = try await client.response(to: 2)
        let names = (listed["result"]?["tools"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        #expect(names.contains("API-get-self") && names.contains("API-retrieve-a-page"), "\(names)")
        client.closeInput()
        #expect(await client.waitForExit() == 0)
        #expect(await client.completeStderr().contains("upstream=notionApi"))
    }

    @Test("four wrap runs at once on one file, each for its own server, all end wrapped, all exit 0, each with its own backup")
    func concurrentWraps() async throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("mcp.json")
        let names = ["one", "two", "three", "four"]
        let entries = names.map { "    \"\($0)\": {\"command\": \"npx\", \"args\": [\"-y\", \"server-\($0)\"]}" }
        try Data("{\n  \"mcpServers\": {\n\(entries.joined(separator: ",\n"))\n  }\n}\n".utf8).write(to: file)
        let runs = try await withThrowingTaskGroup(of: (String, Int32?, [String], String).self) { group in
            for name in names {
                group.addTask {
                    let (status, output, errors) = try await run(["wrap", "--client", "cursor", "--file", file.path, "--server", name,
                                                                  "--executable", "/opt/mcpkeeper"])
                    return (name, status, output, errors)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        for (name, status, output, errors) in runs {
            #expect(status == 0, "\(name): \(errors)")
            #expect(output.contains { $0.hasPrefix("\(name): wrapped") }, "\(name): \(output)")
        }
        let servers = try JSONParser.parse(Array(try Data(contentsOf: file)))["mcpServers"]
        for name in names {
            #expect(servers?[name]?["command"] == "/opt/mcpkeeper", "\(name) is not wrapped")
        }
        let backups = try files(in: dir).filter { $0.contains(".mcpkeeper-backup-") }
        #expect(backups.count == 4, "\(backups)")
        let written = runs.compactMap { run in run.2.first { $0.hasPrefix("wrote ") } }
        #expect(Set(written).count == 4, "\(written)")
    }
}
