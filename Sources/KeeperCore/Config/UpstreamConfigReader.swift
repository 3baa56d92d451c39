/// Reads one entry of `upstreams`: exactly one of `command`, `url` or `sandbox`, plus its options.
struct UpstreamConfigReader {
    let reader: ConfigReader
    let environment: [String: String]

    func read(problems: inout [ConfigProblem]) -> UpstreamConfig? {
        reader.rejectUnknownKeys(allowed: ["command", "args", "env", "cwd", "url", "headers", "auth", "sandbox",
                                           "whoami", "notion_token_env", "shutdown_grace", "description", "transport", "outcome_rules", "tools"], problems: &problems)
        let kinds = ["command", "url", "sandbox"].filter { reader.object[$0] != nil }
        guard kinds.count == 1, let kind = kinds.first else {
            let detail = kinds.isEmpty ? "none is set" : "found \(kinds.joined(separator: " and "))"
            problems.append(ConfigProblem(.error, reader.path, "expected exactly one of \"command\", \"url\" or \"sandbox\"; \(detail)"))
            return nil
        }
        let before = problems.count
        let transport: UpstreamConfig.Transport?
        switch kind {
        case "command": transport = readCommand(problems: &problems)
        case "url": transport = readURL(problems: &problems)
        default: transport = readSandbox(problems: &problems)
        }
        guard let transport else { return nil }
        var upstream = UpstreamConfig(transport: transport)
        upstream.whoami = reader.string("whoami", problems: &problems)
        upstream.shutdownGrace = reader.duration("shutdown_grace", problems: &problems) ?? upstream.shutdownGrace
        upstream.auth = readAuth(problems: &problems)
        upstream.login = readLogin(problems: &problems)
        upstream.outcomeRules = OutcomeRulesReader.read(reader, problems: &problems)
        upstream.tools = ToolSettingsReader.read(reader, problems: &problems)
        if let tokenEnv = reader.string("notion_token_env", problems: &problems) {
            upstream.notionTokenEnv = tokenEnv
            if kind != "command" {
                problems.append(ConfigProblem(.error, reader.at("notion_token_env"), "only applies to a \"command\" upstream"))
            } else if environment[tokenEnv]?.isEmpty ?? true {
                problems.append(ConfigProblem(.warning, reader.at("notion_token_env"),
                    "environment variable \(tokenEnv) is not set; this upstream will fail to start until it holds your Notion integration token (ntn_…)"))
            }
        }
        for key in ["args", "env", "cwd"] where kind != "command" && reader.object[key] != nil {
            problems.append(ConfigProblem(.error, reader.at(key), "only applies to a \"command\" upstream"))
        }
        for key in ["headers", "transport"] where kind != "url" && reader.object[key] != nil {
            problems.append(ConfigProblem(.error, reader.at(key), "only applies to a \"url\" upstream"))
        }
        let ownErrors = problems[before...].contains { $0.severity == .error }
        return ownErrors ? nil : upstream
    }

    private func readCommand(problems: inout [ConfigProblem]) -> UpstreamConfig.Transport? {
        guard let command = reader.string("command", problems: &problems) else { return nil }
        if command.isEmpty {
            problems.append(ConfigProblem(.error, reader.at("command"), "expected a program name or path, got an empty string"))
        }
        let args = reader.strings("args", problems: &problems) ?? []
        let env = reader.stringMap("env", problems: &problems) ?? []
        let cwd = reader.string("cwd", problems: &problems).map { HomePath.expand($0, home: environment["HOME"] ?? "/") }
        return .command(ChildProcessSpec(executable: command, arguments: args,
                                         environment: Dictionary(env, uniquingKeysWith: { $1 }), workingDirectory: cwd))
    }

    private func readURL(problems: inout [ConfigProblem]) -> UpstreamConfig.Transport? {
        guard let url = reader.string("url", problems: &problems) else { return nil }
        let lowered = url.lowercased()
        guard lowered.hasPrefix("https://") || lowered.hasPrefix("http://") else {
            problems.append(ConfigProblem(.error, reader.at("url"), "expected an http:// or https:// URL, got \"\(url)\""))
            return nil
        }
        let headers = reader.stringMap("headers", problems: &problems) ?? []
        let transport = reader.choice("transport", HTTPUpstreamSettings.Transport.allCases.map(\.rawValue), problems: &problems)
            .flatMap(HTTPUpstreamSettings.Transport.init) ?? .auto
        return .url(url, headers: Dictionary(headers, uniquingKeysWith: { $1 }), transport: transport)
    }

    private func readSandbox(problems: inout [ConfigProblem]) -> UpstreamConfig.Transport? {
        guard let section = reader.section("sandbox", problems: &problems) else { return nil }
        section.rejectUnknownKeys(allowed: ["latency", "rate_limit_ratio", "retry_after", "crash_after", "crash_ratio", "crash_point", "fault_state",
                                            "malformed_after", "invalid_result_after", "invalid_token", "notion_error", "seed", "write_log", "received_log", "tools_page_size", "client_request_tools", "log_calls",
                                            "protocol", "dialect"],
                                  problems: &problems)
        var options = SandboxOptions()
        options.latency = section.duration("latency", problems: &problems) ?? options.latency
        options.rateLimitRatio = section.number("rate_limit_ratio", in: 0...1, problems: &problems) ?? 0
        options.retryAfter = section.duration("retry_after", problems: &problems) ?? options.retryAfter
        options.crashAfter = section.int("crash_after", min: 1, problems: &problems)
        options.crashRatio = section.number("crash_ratio", in: 0...1, problems: &problems) ?? 0
        options.faultState = section.string("fault_state", problems: &problems).map { HomePath.expand($0, home: environment["HOME"] ?? "/") }
        if let point = section.choice("crash_point", SandboxOptions.CrashPoint.allCases.map(\.rawValue), problems: &problems) {
            options.crashPoint = SandboxOptions.CrashPoint(rawValue: point) ?? .afterApply
        }
        options.malformedAfter = section.int("malformed_after", min: 1, problems: &problems)
        options.invalidToken = section.bool("invalid_token", problems: &problems) ?? false
        options.notionError = section.choice("notion_error", NotionErrorHints.codes, problems: &problems)
        options.invalidResultAfter = section.int("invalid_result_after", min: 1, problems: &problems)
        options.seed = section.int("seed", min: 0, problems: &problems).map(UInt64.init) ?? options.seed
        options.writeLog = section.string("write_log", problems: &problems).map { HomePath.expand($0, home: environment["HOME"] ?? "/") }
        options.receivedLog = section.string("received_log", problems: &problems).map { HomePath.expand($0, home: environment["HOME"] ?? "/") }
        options.toolsPageSize = section.int("tools_page_size", min: 1, problems: &problems)
        options.clientRequestTools = section.bool("client_request_tools", problems: &problems) ?? false
        options.logCalls = section.bool("log_calls", problems: &problems) ?? false
        options.protocolEra = section.choice("protocol", ServedEras.allCases.map(\.rawValue), problems: &problems)
            .flatMap(ServedEras.init) ?? .legacy
        options.dialect = section.choice("dialect", SandboxDialect.allCases.map(\.rawValue), problems: &problems)
            .flatMap(SandboxDialect.init) ?? .official
        return .sandbox(options)
    }

    private func readAuth(problems: inout [ConfigProblem]) -> UpstreamConfig.Auth {
        guard let auth = reader.section("auth", problems: &problems) else { return .none }
        auth.rejectUnknownKeys(allowed: ["type", "token_env", "client_id", "scopes", "redirect_port", "interactive", "login_timeout"],
                              problems: &problems)
        guard let type = auth.choice("type", ["oauth", "bearer"], problems: &problems) else {
            if auth.object["type"] == nil {
                problems.append(ConfigProblem(.error, auth.at("type"), "missing; expected \"oauth\" or \"bearer\""))
            }
            return .none
        }
        if type == "bearer" {
            guard let tokenEnv = auth.string("token_env", problems: &problems) else {
                problems.append(ConfigProblem(.error, auth.at("token_env"), "missing; name the environment variable that holds the token"))
                return .none
            }
            if environment[tokenEnv]?.isEmpty ?? true {
                problems.append(ConfigProblem(.warning, auth.at("token_env"), "environment variable \(tokenEnv) is not set; requests will be sent without a token"))
            }
            return .bearer(tokenEnv: tokenEnv)
        }
        return .oauth(clientID: auth.string("client_id", problems: &problems),
                      scopes: auth.strings("scopes", problems: &problems) ?? [],
                      redirectPort: auth.int("redirect_port", min: 0, problems: &problems))
    }

    /// `auth.interactive` (default false) and `auth.login_timeout` (default 5m), for `"type": "oauth"` only.
    private func readLogin(problems: inout [ConfigProblem]) -> InteractiveLoginSettings {
        var settings = InteractiveLoginSettings()
        guard let auth = reader.object["auth"]?.objectValue.map({ ConfigReader($0, path: reader.at("auth")) }) else { return settings }
        let isOAuth = auth.object["type"]?.stringValue == "oauth"
        for key in ["interactive", "login_timeout"] where auth.object[key] != nil && !isOAuth {
            problems.append(ConfigProblem(.error, auth.at(key), "only applies to \"type\": \"oauth\""))
        }
        guard isOAuth else { return settings }
        settings.enabled = auth.bool("interactive", problems: &problems) ?? false
        if let timeout = auth.duration("login_timeout", problems: &problems) {
            if timeout <= .zero {
                problems.append(ConfigProblem(.error, auth.at("login_timeout"), "expected a positive duration such as \"5m\""))
            } else {
                settings.timeout = timeout
            }
        }
        return settings
    }
}
