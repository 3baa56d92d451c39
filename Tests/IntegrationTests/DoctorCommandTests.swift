import Foundation
import KeeperCore
import Testing

@Suite("mcpkeeper doctor")
struct DoctorCommandTests {
    static let token = "ntn_" + String(repeating: "Ab3d", count: 11) + "Zz"
    static let tokenVariable = "MCPKEEPER_TEST_DOCTOR_TOKEN"

    /// Runs doctor in a fresh home and working directory, so no real client config is read.
    func doctor(_ arguments: [String], in dir: URL, environment: [String: String] = [:]) async throws -> (status: Int32?, lines: [String]) {
        let process = try ProxyProcess(["doctor"] + arguments, environment: ["HOME": dir.path].merging(environment) { $1 }, directory: dir)
        let lines = await process.allLines()
        return (await process.waitForExit(), lines)
    }

    /// A config with one upstream: the sandbox as a command, with the token read from `tokenVariable`.
    func config(in dir: URL, upstream: String? = nil) throws -> String {
        let binary = try Binary.path()
        let entry = upstream ?? #"{"command": "\#(binary)", "args": ["sandbox"], "notion_token_env": "\#(Self.tokenVariable)", "whoami": "API-get-self"}"#
        let file = dir.appendingPathComponent("config.json")
        try Data(#"{"state_dir": "\#(dir.path)/state", "upstreams": {"notion": \#(entry)}}"#.utf8).write(to: file)
        return file.path
    }

    @Test("a good token and a reachable sandbox: every line OK, exit 0, the token never printed")
    func allGood() async throws {
        let dir = try temporaryDirectory()
        let (status, lines) = try await doctor(["--config", try config(in: dir)], in: dir, environment: [Self.tokenVariable: Self.token])
        let text = lines.joined(separator: "\n")
        #expect(status == 0, "\(text)")
        #expect(lines.dropLast().allSatisfy { $0.hasPrefix("OK ") }, "\(text)")
        #expect(text.contains("token \(Self.tokenVariable): looks like a Notion token: ntn_… (50 characters)"))
        #expect(text.contains("upstream notion: answers: initialize"))
        #expect(text.contains(#"upstream notion whoami: API-get-self answered as "mcpkeeper sandbox""#))
        #expect(!text.contains(Self.token))
    }

    @Test("a malformed OPENAPI_MCP_HEADERS in a client config fails with the fix, exit 2")
    func malformedHeaders() async throws {
        let dir = try temporaryDirectory()
        let file = dir.appendingPathComponent("claude_desktop_config.json")
        let headers = #"{\"Authorization\": \"Bearer \#(Self.token)\" \"Notion-Version\": \"2022-06-28\"}"#
        try Data(#"{"mcpServers": {"notionApi": {"command": "\#(try Binary.path())", "args": ["sandbox"], "env": {"OPENAPI_MCP_HEADERS": "\#(headers)"}}}}"#.utf8)
            .write(to: file)
        let (status, lines) = try await doctor(["--client", "claude-desktop", "--file", file.path], in: dir)
        let text = lines.joined(separator: "\n")
        #expect(status == 2, "\(text)")
        let line = try #require(lines.first { $0.contains("claude-desktop notionApi OPENAPI_MCP_HEADERS") })
        #expect(line.hasPrefix("FAIL"))
        #expect(line.contains("not valid JSON"))
        #expect(line.contains("Fix: "))
        #expect(text.contains("WARN claude-desktop notionApi: Notion server not behind mcpkeeper"))
        #expect(text.contains("mcpkeeper wrap --client claude-desktop --file \(file.path) --server notionApi"))
        #expect(!text.contains(Self.token))
    }

    @Test("a token variable that is not set fails, naming it and how to set it")
    func missingVariable() async throws {
        let dir = try temporaryDirectory()
        let (status, lines) = try await doctor(["--config", try config(in: dir)], in: dir)
        #expect(status == 2)
        #expect(lines.contains { $0.hasPrefix("FAIL") && $0.contains("token \(Self.tokenVariable): not set") && $0.contains("export \(Self.tokenVariable)=ntn_") },
                "\(lines)")
        #expect(lines.contains { $0.hasPrefix("FAIL") && $0.contains("upstream notion: cannot start") })
    }

    @Test("loose permissions on the state directory and a token file are reported with chmod")
    func loosePermissions() async throws {
        let dir = try temporaryDirectory()
        let state = dir.appendingPathComponent("state")
        try FileManager.default.createDirectory(at: state.appendingPathComponent("tokens"), withIntermediateDirectories: true)
        let tokenFile = state.appendingPathComponent("tokens/notion.json")
        try Data("{}".utf8).write(to: tokenFile)
        chmod(state.path, 0o755)
        chmod(tokenFile.path, 0o644)
        let (status, lines) = try await doctor(["--config", try config(in: dir, upstream: #"{"sandbox": {}}"#), "--no-probe"], in: dir)
        #expect(status == 2)
        #expect(lines.contains { $0.hasPrefix("WARN state directory \(state.path)") && $0.contains("chmod 700 \(state.path)") }, "\(lines)")
        #expect(lines.contains { $0.hasPrefix("FAIL permissions \(tokenFile.path)") && $0.contains("(mode 0644)") && $0.contains("chmod 600 \(tokenFile.path)") })
    }

    @Test("the sandbox answering unauthorized or object_not_found fails whoami with Notion's remediation",
          arguments: [("invalid_token", "true", "revoked"), ("notion_error", "\"object_not_found\"", "Share → Connections")])
    func notionRefusals(key: String, value: String, remediation: String) async throws {
        let dir = try temporaryDirectory()
        let (status, lines) = try await doctor(["--config", try config(in: dir, upstream: #"{"sandbox": {"\#(key)": \#(value)}}"#)], in: dir)
        #expect(status == 2)
        #expect(lines.contains { $0.hasPrefix("OK   upstream notion: answers") }, "\(lines)")
        let whoami = try #require(lines.first { $0.contains("upstream notion whoami") })
        #expect(whoami.hasPrefix("FAIL"))
        #expect(whoami.contains(remediation), "\(whoami)")
    }

    @Test("--format json gives every check and the exit code for scripts")
    func json() async throws {
        let dir = try temporaryDirectory()
        let (status, lines) = try await doctor(["--config", try config(in: dir), "--format", "json", "--no-probe"], in: dir)
        #expect(status == 2)
        let report = try JSONParser.parse(lines.joined())
        #expect(report["exit_code"] == 2)
        #expect(report["status"] == "fail")
        let checks = try #require(report["checks"]?.arrayValue)
        #expect(checks.contains { $0["check"] == .string("token \(Self.tokenVariable)") && $0["status"] == "fail" && $0["fix"] != nil })
    }
}
