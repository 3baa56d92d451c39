@testable import KeeperCore
import Foundation
import Testing

private let home = "/home/tester"

private func load(_ text: String, _ environment: [String: String] = [:]) -> (config: KeeperConfig?, problems: [ConfigProblem]) {
    var env = environment
    if env["HOME"] == nil { env["HOME"] = home }
    return ConfigLoader(environment: env).load(bytes: Array(text.utf8))
}

private func errors(_ problems: [ConfigProblem]) -> [ConfigProblem] { problems.filter { $0.severity == .error } }
private func warnings(_ problems: [ConfigProblem]) -> [ConfigProblem] { problems.filter { $0.severity == .warning } }

/// The single problem of `severity` at `path`, or nil with a recorded failure listing what was found.
private func problem(at path: String, in problems: [ConfigProblem], severity: ConfigProblem.Severity = .error,
                     sourceLocation: SourceLocation = #_sourceLocation) -> ConfigProblem? {
    let matches = problems.filter { $0.path == path && $0.severity == severity }
    guard matches.count == 1 else {
        Issue.record("expected one \(severity) at \(path), found \(matches.count) in \(problems)", sourceLocation: sourceLocation)
        return nil
    }
    return matches[0]
}

private let minimal = #"{"upstreams":{"sim":{"sandbox":{}}}}"#

@Suite("Config loading")
struct ConfigLoaderTests {
    static let full = #"""
    {
      "$schema": "https://example.test/schema.json",
      "default_upstream": "local",
      "state_dir": "~/state",
      "upstreams": {
        "local": { "command": "npx", "args": ["-y", "@notionhq/notion-mcp-server"],
                   "env": {"A": "1", "B": "${BVAL}"}, "cwd": "~/work",
                   "notion_token_env": "NOTION_TOKEN", "whoami": "API-get-self", "shutdown_grace": "500ms",
                   "description": "the official stdio server" },
        "remote": { "url": "https://example.test/mcp", "headers": {"X-Team": "a"},
                    "auth": {"type": "bearer", "token_env": "SOME_TOKEN"} },
        "hosted": { "url": "https://mcp.notion.com/mcp",
                    "auth": {"type": "oauth", "client_id": "cid", "scopes": ["read", "write"], "redirect_port": 8765},
                    "whoami": "notion-get-self" },
        "sim": { "sandbox": { "latency": "5ms", "rate_limit_ratio": 0.25, "retry_after": "2s", "crash_after": 3,
                              "crash_point": "before-apply", "malformed_after": 4, "seed": 7, "write_log": "~/w.jsonl",
                              "tools_page_size": 2, "client_request_tools": true } }
      },
      "retry": { "max_attempts": 3, "base_delay": "100ms", "max_delay": "10s", "deadline": "20s", "budget_ratio": 0.5 },
      "pacing": { "requests_per_second": 2.5, "burst": 4, "queue": 50 },
      "validation": { "requests": "warn", "responses": "off" },
      "policy": { "tier": "read", "allow": ["notion-*"], "deny": ["notion-delete"] },
      "log": { "path": "~/logs/requests.jsonl", "bodies": true, "max_bytes": 2048, "keep": 3 },
      "probe": { "interval": "30s", "timeout": "5s" }
    }
    """#
    static let fullEnvironment = ["BVAL": "bee", "NOTION_TOKEN": "ntn_secret", "SOME_TOKEN": "abc"]

    @Test("a valid config with command, url and sandbox upstreams parses to the expected model without problems")
    func validConfig() throws {
        let (loaded, problems) = load(Self.full, Self.fullEnvironment)
        #expect(problems == [])
        let config = try #require(loaded)
        #expect(config.defaultUpstream == "local")
        #expect(config.stateDirectory == "\(home)/state")
        #expect(config.upstreams.map(\.name) == ["local", "remote", "hosted", "sim"])

        var local = UpstreamConfig(transport: .command(ChildProcessSpec(
            executable: "npx", arguments: ["-y", "@notionhq/notion-mcp-server"],
            environment: ["A": "1", "B": "bee"], workingDirectory: "\(home)/work")))
        local.notionTokenEnv = "NOTION_TOKEN"
        local.whoami = "API-get-self"
        local.shutdownGrace = .milliseconds(500)
        #expect(config.upstream(named: "local") == local)

        var remote = UpstreamConfig(transport: .url("https://example.test/mcp", headers: ["X-Team": "a"]))
        remote.auth = .bearer(tokenEnv: "SOME_TOKEN")
        #expect(config.upstream(named: "remote") == remote)

        var hosted = UpstreamConfig(transport: .url("https://mcp.notion.com/mcp", headers: [:]))
        hosted.auth = .oauth(clientID: "cid", scopes: ["read", "write"], redirectPort: 8765)
        hosted.whoami = "notion-get-self"
        #expect(config.upstream(named: "hosted") == hosted)

        var options = SandboxOptions()
        options.latency = .milliseconds(5)
        options.rateLimitRatio = 0.25
        options.retryAfter = .seconds(2)
        options.crashAfter = 3
        options.crashPoint = .beforeApply
        options.malformedAfter = 4
        options.seed = 7
        options.writeLog = "\(home)/w.jsonl"
        options.toolsPageSize = 2
        options.clientRequestTools = true
        #expect(config.upstream(named: "sim") == UpstreamConfig(transport: .sandbox(options)))

        #expect(config.retry.maxAttempts == 3)
        #expect(config.retry.baseDelay == .milliseconds(100))
        #expect(config.retry.maxDelay == .seconds(10))
        #expect(config.retry.deadline == .seconds(20))
        #expect(config.retry.budgetRatio == 0.5)
        #expect(config.pacing.requestsPerSecond == 2.5)
        #expect(config.pacing.burst == 4)
        #expect(config.pacing.queue == 50)
        #expect(config.validation.requests == .warn)
        #expect(config.validation.responses == .off)
        #expect(config.policy.tier == .read)
        #expect(config.policy.allow == ["notion-*"])
        #expect(config.policy.deny == ["notion-delete"])
        #expect(config.log == RequestLogSettings(path: "\(home)/logs/requests.jsonl", includeBodies: true, maxBytes: 2048, keep: 3))
        #expect(config.probe.interval == .seconds(30))
        #expect(config.probe.timeout == .seconds(5))
    }

    @Test("a config with only upstreams gets the documented defaults")
    func defaults() throws {
        let (loaded, problems) = load(minimal)
        #expect(problems == [])
        let config = try #require(loaded)
        #expect(config.defaultUpstream == nil)
        #expect(config.stateDirectory == "\(home)/.mcpkeeper")
        #expect(config.retry == RetrySettings())
        #expect(config.retry.maxAttempts == 5)
        #expect(config.retry.baseDelay == .milliseconds(250))
        #expect(config.pacing.requestsPerSecond == 3)
        #expect(config.validation.requests == .enforce)
        #expect(config.validation.responses == .warn)
        #expect(config.log == nil)
        #expect(config.upstream(named: "sim") == UpstreamConfig(transport: .sandbox(SandboxOptions())))
    }

    @Test("an unknown top-level key is an error at its own path, listing the known keys")
    func unknownTopLevelKey() {
        let (_, problems) = load(#"{"upstreams":{"sim":{"sandbox":{}}},"retries":{}}"#)
        let found = problem(at: "retries", in: problems)
        #expect(found?.message.contains("unknown key") == true)
        #expect(found?.message.contains("retry") == true)
    }

    @Test("an unknown key inside an upstream is an error at upstreams.NAME.KEY")
    func unknownUpstreamKey() {
        let (_, problems) = load(#"{"upstreams":{"local":{"command":"npx","argv":["x"]}}}"#)
        #expect(problem(at: "upstreams.local.argv", in: problems)?.message.contains("unknown key") == true)
    }

    @Test("a wrong type is an error at the key's path saying what was expected and what was found")
    func wrongType() {
        let (_, problems) = load(#"{"upstreams":{"local":{"command":"npx","args":"x"}}}"#)
        let found = problem(at: "upstreams.local.args", in: problems)
        #expect(found?.message.contains("array of strings") == true)
        #expect(found?.message.contains("\"x\"") == true)
    }

    @Test("a non-string element of args is an error at its index")
    func wrongElementType() {
        let (_, problems) = load(#"{"upstreams":{"local":{"command":"npx","args":["ok",5]}}}"#)
        #expect(problem(at: "upstreams.local.args[1]", in: problems) != nil)
    }

    @Test("a bad duration is an error at its path that shows an example duration")
    func badDuration() {
        let (_, problems) = load(#"{"upstreams":{"sim":{"sandbox":{}}},"retry":{"deadline":"5 minutes"}}"#)
        let found = problem(at: "retry.deadline", in: problems)
        #expect(found?.message.contains("\"30s\"") == true)
        #expect(found?.message.contains("5 minutes") == true)
    }

    @Test("budget_ratio outside 0...1 is an error at retry.budget_ratio")
    func budgetRatioOutOfRange() {
        let (loaded, problems) = load(#"{"upstreams":{"sim":{"sandbox":{}}},"retry":{"budget_ratio":2}}"#)
        let found = problem(at: "retry.budget_ratio", in: problems)
        #expect(found?.message.contains("got 2") == true)
        #expect(loaded?.retry.budgetRatio == 0.2)
    }

    @Test("an upstream with both command and url is an error at the upstream naming both")
    func bothCommandAndURL() {
        let (loaded, problems) = load(#"{"upstreams":{"mixed":{"command":"npx","url":"https://example.test/mcp"}}}"#)
        let found = problem(at: "upstreams.mixed", in: problems)
        #expect(found?.message.contains("command") == true)
        #expect(found?.message.contains("url") == true)
        #expect(loaded?.upstream(named: "mixed") == nil)
    }

    @Test("an upstream with none of command, url or sandbox is an error at the upstream")
    func neitherKind() {
        let (_, problems) = load(#"{"upstreams":{"empty":{"whoami":"x"}}}"#)
        #expect(problem(at: "upstreams.empty", in: problems)?.message.contains("none") == true)
    }

    @Test("an upstream that is not an object is an error at the upstream")
    func upstreamNotAnObject() {
        let (_, problems) = load(#"{"upstreams":{"odd":"npx"}}"#)
        #expect(problem(at: "upstreams.odd", in: problems) != nil)
    }

    @Test("options of another upstream kind are errors: args on a url, headers on a command")
    func optionsOfAnotherKind() {
        let (_, problems) = load(#"{"upstreams":{"u":{"url":"https://x.test/mcp","args":["a"]},"c":{"command":"npx","headers":{"a":"b"}}}}"#)
        #expect(problem(at: "upstreams.u.args", in: problems) != nil)
        #expect(problem(at: "upstreams.c.headers", in: problems) != nil)
    }

    @Test("a url that is not http(s) is an error at its path")
    func badURL() {
        let (_, problems) = load(#"{"upstreams":{"u":{"url":"ftp://x.test/mcp"}}}"#)
        #expect(problem(at: "upstreams.u.url", in: problems)?.message.contains("ftp://x.test/mcp") == true)
    }

    @Test("default_upstream naming a missing upstream is an error that lists the known ones")
    func missingDefaultUpstream() {
        let (_, problems) = load(#"{"default_upstream":"nope","upstreams":{"sim":{"sandbox":{}}}}"#)
        let found = problem(at: "default_upstream", in: problems)
        #expect(found?.message.contains("nope") == true)
        #expect(found?.message.contains("sim") == true)
    }

    @Test("a missing upstreams key is an error at upstreams")
    func missingUpstreams() {
        let (_, problems) = load(#"{"retry":{}}"#)
        #expect(problem(at: "upstreams", in: problems)?.message.contains("missing") == true)
    }

    @Test("an empty upstreams object is an error")
    func emptyUpstreams() {
        let (_, problems) = load(#"{"upstreams":{}}"#)
        #expect(problem(at: "upstreams", in: problems) != nil)
    }

    @Test("a document that is not an object, or not JSON, is one error at $")
    func notAnObject() {
        #expect(load("[]").config == nil)
        #expect(problem(at: "$", in: load("[]").problems) != nil)
        let (config, problems) = load("{ not json")
        #expect(config == nil)
        #expect(problem(at: "$", in: problems)?.message.contains("not valid JSON") == true)
    }

    @Test("several problems are all reported at once, not only the first")
    func severalProblemsAtOnce() {
        let text = #"""
        {"bogus": 1, "default_upstream": "ghost",
         "upstreams": {"local": {"command": "npx", "args": "x", "color": "red"}, "both": {"command": "a", "url": "https://x.test"}},
         "retry": {"deadline": "5 minutes", "budget_ratio": 2, "max_attempts": 0},
         "validation": {"requests": "strict"}}
        """#
        let (_, problems) = load(text)
        let paths = Set(errors(problems).map(\.path))
        let expected: Set = ["bogus", "default_upstream", "upstreams.local.args", "upstreams.local.color", "upstreams.both",
                             "retry.deadline", "retry.budget_ratio", "retry.max_attempts", "validation.requests"]
        #expect(paths == expected)
    }

    @Test("${VAR} expands from the given environment, also inside longer strings")
    func variableExpansion() throws {
        let (loaded, problems) = load(#"{"upstreams":{"c":{"command":"${BIN}","args":["--dir=${DIR}/x","${DIR}${DIR}"]}}}"#,
                                      ["BIN": "/usr/bin/node", "DIR": "/srv"])
        #expect(problems == [])
        let upstream = try #require(loaded?.upstream(named: "c"))
        #expect(upstream.transport == .command(ChildProcessSpec(executable: "/usr/bin/node", arguments: ["--dir=/srv/x", "/srv/srv"])))
    }

    @Test("${VAR:-default} uses the default only when the variable is unset")
    func defaultValues() throws {
        let text = #"{"upstreams":{"c":{"command":"npx","args":["${MODE:-fast}","${EMPTY:-unused}"]}}}"#
        let unset = try #require(load(text, ["EMPTY": ""]).config?.upstream(named: "c"))
        #expect(unset.transport == .command(ChildProcessSpec(executable: "npx", arguments: ["fast", ""])))
        let set = try #require(load(text, ["MODE": "slow", "EMPTY": ""]).config?.upstream(named: "c"))
        #expect(set.transport == .command(ChildProcessSpec(executable: "npx", arguments: ["slow", ""])))
    }

    @Test("$${NAME} is written as a literal ${NAME} and not expanded")
    func escapedDollar() throws {
        let (loaded, problems) = load(#"{"upstreams":{"c":{"command":"npx","args":["$${HOME}","a$${X}b"]}}}"#, ["X": "no"])
        #expect(problems == [])
        let upstream = try #require(loaded?.upstream(named: "c"))
        #expect(upstream.transport == .command(ChildProcessSpec(executable: "npx", arguments: ["${HOME}", "a${X}b"])))
    }

    @Test("an unset variable without a default is an error naming the variable at its JSON path")
    func missingVariable() {
        let (_, problems) = load(#"{"upstreams":{"c":{"command":"npx","env":{"KEY":"${MISSING_VAR}"},"args":["a","${ALSO_MISSING}"]}}}"#)
        #expect(problem(at: "upstreams.c.env.KEY", in: problems)?.message.contains("MISSING_VAR") == true)
        #expect(problem(at: "upstreams.c.args[1]", in: problems)?.message.contains("ALSO_MISSING") == true)
    }

    @Test("a literal secret in the file is a warning at its path; a ${VAR} reference is not")
    func literalSecretWarning() {
        let literal = #"{"upstreams":{"h":{"url":"https://x.test/mcp","headers":{"Authorization":"Bearer ntn_abc123456789"}}}}"#
        let (loaded, problems) = load(literal)
        #expect(errors(problems) == [])
        let found = problem(at: "upstreams.h.headers.Authorization", in: problems, severity: .warning)
        #expect(found?.message.contains("${") == true)
        #expect(loaded?.upstream(named: "h") != nil)

        let referenced = #"{"upstreams":{"h":{"url":"https://x.test/mcp","headers":{"Authorization":"${TOKEN}"}}}}"#
        #expect(load(referenced, ["TOKEN": "Bearer ntn_abc123456789"]).problems == [])
        let prefixed = #"{"upstreams":{"h":{"url":"https://x.test/mcp","headers":{"Authorization":"Bearer ${TOKEN}"}}}}"#
        #expect(load(prefixed, ["TOKEN": "ntn_abc123456789"]).problems == [])
    }

    @Test("a literal ntn_ token anywhere, and a value under a secret-looking key, are warned about")
    func otherLiteralSecrets() {
        let (_, problems) = load(#"{"upstreams":{"c":{"command":"npx","env":{"NOTION_TOKEN":"ntn_x","API_KEY":"k"}}}}"#)
        #expect(problem(at: "upstreams.c.env.NOTION_TOKEN", in: problems, severity: .warning) != nil)
        #expect(problem(at: "upstreams.c.env.API_KEY", in: problems, severity: .warning) != nil)
        #expect(errors(problems) == [])
    }

    @Test("an unset notion_token_env is a warning naming the variable, not an error")
    func unsetNotionToken() throws {
        let (loaded, problems) = load(#"{"upstreams":{"c":{"command":"npx","notion_token_env":"NOTION_TOKEN"}}}"#)
        #expect(errors(problems) == [])
        #expect(problem(at: "upstreams.c.notion_token_env", in: problems, severity: .warning)?.message.contains("NOTION_TOKEN") == true)
        #expect(try #require(loaded?.upstream(named: "c")).notionTokenEnv == "NOTION_TOKEN")
        #expect(load(#"{"upstreams":{"c":{"command":"npx","notion_token_env":"NOTION_TOKEN"}}}"#, ["NOTION_TOKEN": "ntn_1"]).problems == [])
    }

    @Test("~ in log.path, state_dir and cwd expands against the given HOME")
    func tildeExpansion() {
        let text = #"{"state_dir":"~","upstreams":{"c":{"command":"npx","cwd":"~/w"}},"log":{"path":"~/.mcpkeeper/requests.jsonl"}}"#
        let config = load(text, ["HOME": "/Users/someone"]).config
        #expect(config?.log?.path == "/Users/someone/.mcpkeeper/requests.jsonl")
        #expect(config?.stateDirectory == "/Users/someone")
        #expect(config?.upstream(named: "c")?.transport == .command(ChildProcessSpec(executable: "npx", workingDirectory: "/Users/someone/w")))
        #expect(HomePath.expand("~user/x", home: "/h") == "~user/x")
        #expect(HomePath.expand("/abs/~/x", home: "/h") == "/abs/~/x")
    }

    @Test("~ expansion joins with exactly one slash, also for a HOME of / or one ending in /")
    func tildeJoinsCleanly() {
        #expect(HomePath.expand("~/x", home: "/home/u") == "/home/u/x")
        #expect(HomePath.expand("~/x", home: "/") == "/x")
        #expect(HomePath.expand("~/x", home: "/home/u/") == "/home/u/x")
        #expect(HomePath.expand("~", home: "/home/u") == "/home/u")
    }
}

@Suite("Config loading for one upstream")
struct ConfigLoaderServingTests {
    /// Writes `text` to a config file in a fresh directory, runs `body`, then removes the directory.
    @discardableResult
    private func withConfigFile<T>(_ text: String, _ body: (String) throws -> T) throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keeper-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("config.json").path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try body(path)
    }

    static let twoUpstreams = #"""
    {"default_upstream": "good",
     "upstreams": {
       "good": {"sandbox": {"latency": "1ms"}},
       "bad": {"command": "npx", "args": "x", "env": {"T": "${NOT_SET_ANYWHERE}"}}
     }}
    """#

    @Test("errors inside other upstreams do not stop serving the chosen one")
    func otherUpstreamErrorsIgnored() throws {
        try withConfigFile(Self.twoUpstreams) { path in
            let loader = ConfigLoader(environment: ["HOME": "/h"])
            let (config, problems) = try loader.load(path: path, serving: "good")
            #expect(config.upstream(named: "good") != nil)
            #expect(problems.allSatisfy { !$0.path.hasPrefix("upstreams.bad") })
            let (byDefault, _) = try loader.load(path: path, serving: nil)
            #expect(byDefault.defaultUpstream == "good")
        }
    }

    @Test("errors inside the chosen upstream throw a ConfigError listing each of them")
    func chosenUpstreamErrorsThrow() throws {
        try withConfigFile(Self.twoUpstreams) { path in
            let loader = ConfigLoader(environment: ["HOME": "/h"])
            do throws(ConfigError) {
                _ = try loader.load(path: path, serving: "bad")
                Issue.record("expected a ConfigError")
            } catch {
                #expect(error.file == path)
                let paths = Set(error.problems.filter { $0.severity == .error }.map(\.path))
                #expect(paths == ["upstreams.bad.args", "upstreams.bad.env.T"])
                #expect(error.description.contains("upstreams.bad.args"))
                #expect(error.description.contains("NOT_SET_ANYWHERE"))
                #expect(error.description.contains("2 problems"))
                #expect(error.description.contains("mcpkeeper config check \(path)"))
            }
        }
    }

    @Test("an upstream whose name shares a prefix with the chosen one does not count as the chosen one")
    func prefixNamesKeptApart() throws {
        let text = #"{"upstreams":{"a":{"sandbox":{}},"ab":{"command":"npx","args":"x"}}}"#
        try withConfigFile(text) { path in
            let (config, _) = try ConfigLoader(environment: ["HOME": "/h"]).load(path: path, serving: "a")
            #expect(config.upstream(named: "a") != nil)
        }
    }

    @Test("errors outside the upstreams stop serving whichever upstream is chosen")
    func globalErrorsThrow() throws {
        let text = #"{"upstreams":{"good":{"sandbox":{}}},"retry":{"deadline":"soon"}}"#
        try withConfigFile(text) { path in
            #expect(throws: ConfigError.self) { try ConfigLoader(environment: ["HOME": "/h"]).load(path: path, serving: "good") }
        }
    }

    @Test("a missing file is one error at $ saying there is no such file")
    func missingFile() {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("keeper-missing-\(UUID().uuidString).json").path
        let (config, problems) = ConfigLoader(environment: [:]).load(path: path)
        #expect(config == nil)
        #expect(problems.count == 1)
        #expect(problems.first?.path == "$")
        #expect(problems.first?.message.contains("no such file") == true)
    }
}

@Suite("DurationText")
struct DurationTextTests {
    @Test("durations with a unit, or a bare number of seconds, parse to the exact Duration", arguments: [
        ("250ms", Duration.milliseconds(250)), ("1.5s", .milliseconds(1500)), ("5m", .seconds(300)), ("1h", .seconds(3600)),
        ("0s", .zero), ("30s", .seconds(30)), ("0.5ms", .microseconds(500)), ("20us", .microseconds(20)), ("20µs", .microseconds(20)),
        ("10", .seconds(10)), ("2.5", .milliseconds(2500)), ("0", .zero),
    ])
    func valid(_ text: String, _ expected: Duration) {
        #expect(DurationText.parse(text) == expected)
    }

    @Test("text that is neither a number with a known unit nor a bare number is not a duration",
          arguments: ["-5", "-1s", "ms", "s", "1 s", " 1s", "1s ", "5 minutes", "1e3s", "1d", "", "1.2.3s", ".s", "1S", "1sec", "0x10s", "1e3", "٣s", "٣"])
    func invalid(_ text: String) {
        #expect(DurationText.parse(text) == nil)
    }

    @Test("an absurdly large duration is rejected (or clamped) instead of crashing the process")
    func hugeDurationDoesNotTrap() async {
        await #expect(processExitsWith: .success) {
            _ = DurationText.parse("99999999999h")
            _ = DurationText.parse("99999999999999999999999s")
        }
    }

    @Test("a config with an absurdly large duration gets a problem report, not a crash")
    func hugeDurationInConfigDoesNotTrap() async {
        await #expect(processExitsWith: .success) {
            let text = #"{"upstreams":{"s":{"sandbox":{}}},"retry":{"deadline":"99999999999h"}}"#
            _ = ConfigLoader(environment: [:]).load(bytes: Array(text.utf8))
        }
    }
}
