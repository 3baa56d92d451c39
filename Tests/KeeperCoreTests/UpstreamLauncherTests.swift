@testable import KeeperCore
import Testing

private func launchError(_ upstream: UpstreamConfig, name: String, environment: [String: String],
                         sourceLocation: SourceLocation = #_sourceLocation) -> UpstreamLaunchError? {
    do throws(UpstreamLaunchError) {
        let spec = try UpstreamLauncher.childSpec(for: upstream, name: name, environment: environment)
        Issue.record("expected a launch error, got \(spec)", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

private func notionUpstream(env: [String: String] = [:]) -> UpstreamConfig {
    var upstream = UpstreamConfig(transport: .command(ChildProcessSpec(
        executable: "npx", arguments: ["-y", "@notionhq/notion-mcp-server"], environment: env, workingDirectory: "/srv")))
    upstream.notionTokenEnv = "MY_NOTION_TOKEN"
    return upstream
}

@Suite("Upstream launcher")
struct UpstreamLauncherTests {
    @Test("a command upstream with notion_token_env gets OPENAPI_MCP_HEADERS as JSON with the bearer token and Notion-Version")
    func notionHeadersBuilt() throws {
        let spec = try UpstreamLauncher.childSpec(for: notionUpstream(env: ["OTHER": "kept"]), name: "notion-local",
                                                  environment: ["MY_NOTION_TOKEN": "ntn_abc123"])
        #expect(spec.executable == "npx")
        #expect(spec.arguments == ["-y", "@notionhq/notion-mcp-server"])
        #expect(spec.workingDirectory == "/srv")
        #expect(spec.environment["OTHER"] == "kept")
        let headers = try JSONParser.parse(try #require(spec.environment["OPENAPI_MCP_HEADERS"]))
        #expect(headers == ["Authorization": "Bearer ntn_abc123", "Notion-Version": .string(UpstreamLauncher.notionVersion)])
        #expect(headers.objectValue?.count == 2)
        #expect(spec.environment.count == 2)
    }

    @Test("the token is read from the given environment, not the process's")
    func tokenFromGivenEnvironment() throws {
        let a = try UpstreamLauncher.childSpec(for: notionUpstream(), name: "n", environment: ["MY_NOTION_TOKEN": "ntn_first"])
        let b = try UpstreamLauncher.childSpec(for: notionUpstream(), name: "n", environment: ["MY_NOTION_TOKEN": "ntn_second"])
        #expect(try JSONParser.parse(try #require(a.environment["OPENAPI_MCP_HEADERS"]))["Authorization"] == "Bearer ntn_first")
        #expect(try JSONParser.parse(try #require(b.environment["OPENAPI_MCP_HEADERS"]))["Authorization"] == "Bearer ntn_second")
    }

    @Test("a token with quotes, backslashes or control characters still yields valid JSON holding it exactly")
    func headersEscaped() throws {
        let token = "ntn_\"quoted\"\\back\nslash\u{1}"
        let text = UpstreamLauncher.notionHeaders(token: token)
        #expect(!text.contains("\n"))
        #expect(try JSONParser.parse(text)["Authorization"]?.stringValue == "Bearer \(token)")
    }

    @Test("OPENAPI_MCP_HEADERS set explicitly in the upstream's env is kept as written")
    func explicitHeadersKept() throws {
        let spec = try UpstreamLauncher.childSpec(for: notionUpstream(env: ["OPENAPI_MCP_HEADERS": "{\"x\":1}"]), name: "n",
                                                  environment: ["MY_NOTION_TOKEN": "ntn_abc"])
        #expect(spec.environment["OPENAPI_MCP_HEADERS"] == "{\"x\":1}")
    }

    @Test("a command upstream without notion_token_env is launched as configured")
    func plainCommand() throws {
        let spec = ChildProcessSpec(executable: "/usr/bin/python3", arguments: ["server.py"], environment: ["A": "b"])
        let launched = try UpstreamLauncher.childSpec(for: UpstreamConfig(transport: .command(spec)), name: "py",
                                                      environment: ["MY_NOTION_TOKEN": "ntn_abc"])
        #expect(launched == spec)
    }

    @Test("a missing or empty token is an error naming the variable and telling the user to export it",
          arguments: [[:], ["MY_NOTION_TOKEN": ""]])
    func missingToken(_ environment: [String: String]) {
        let error = launchError(notionUpstream(), name: "notion-local", environment: environment)
        let text = error?.description ?? ""
        #expect(text.contains("MY_NOTION_TOKEN"))
        #expect(text.contains("export MY_NOTION_TOKEN="))
        #expect(text.contains("notion-local"))
    }

    @Test("a sandbox upstream runs this executable with `sandbox` and the option flags")
    func sandboxUpstream() throws {
        var options = SandboxOptions()
        options.latency = .milliseconds(5)
        options.rateLimitRatio = 0.5
        options.seed = 9
        options.crashAfter = 2
        options.crashPoint = .beforeApply
        options.clientRequestTools = true
        let spec = try UpstreamLauncher.childSpec(for: UpstreamConfig(transport: .sandbox(options)), name: "sim", environment: [:])
        #expect(spec.executable == UpstreamLauncher.selfExecutable())
        #expect(!spec.executable.isEmpty)
        #expect(spec.arguments == ["sandbox"] + options.arguments)
        #expect(options.arguments == ["--latency", "5ms", "--rate-limit-ratio", "0.5", "--crash-after", "2",
                                      "--crash-point", "before-apply", "--seed", "9", "--client-request-tools"])
    }

    @Test("default sandbox options add no flags")
    func defaultSandbox() throws {
        let spec = try UpstreamLauncher.childSpec(for: UpstreamConfig(transport: .sandbox(SandboxOptions())), name: "sim", environment: [:])
        #expect(spec.arguments == ["sandbox"])
        #expect(spec.environment.isEmpty)
    }

    @Test("every sandbox option has a flag")
    func allSandboxFlags() {
        var options = SandboxOptions()
        options.retryAfter = .seconds(3)
        options.malformedAfter = 4
        options.writeLog = "/tmp/w.jsonl"
        options.toolsPageSize = 10
        options.serverInfoOnlyOnDiscover = true
        options.messageLog = "/tmp/m.jsonl"
        #expect(options.arguments == ["--retry-after", "3000ms", "--malformed-after", "4", "--write-log", "/tmp/w.jsonl",
                                      "--message-log", "/tmp/m.jsonl", "--tools-page-size", "10", "--server-info-only-on-discover"])
    }

    @Test("a url upstream is not a child process: asking for one is an error naming the upstream and its URL")
    func urlIsNotAChild() {
        let upstream = UpstreamConfig(transport: .url("https://mcp.notion.com/mcp", headers: [:]))
        let text = launchError(upstream, name: "notion-hosted", environment: [:])?.description ?? ""
        #expect(text.contains("notion-hosted"))
        #expect(text.contains("https://mcp.notion.com/mcp"))
        #expect(text.contains("HTTP"))
    }
}
