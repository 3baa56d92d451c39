/// Reads the top-level settings: retry, pacing, validation, policy, log, tracing, probe and hints.
enum SettingsReader {
    static func read(_ root: ConfigReader, into config: inout KeeperConfig, home: String, problems: inout [ConfigProblem]) {
        config.hints = root.bool("hints", problems: &problems) ?? config.hints
        if let s = root.section("retry", problems: &problems) {
            s.rejectUnknownKeys(allowed: ["max_attempts", "base_delay", "max_delay", "deadline", "budget_ratio", "rate_limit_wait"], problems: &problems)
            config.retry.maxAttempts = s.int("max_attempts", min: 1, problems: &problems) ?? config.retry.maxAttempts
            config.retry.baseDelay = s.duration("base_delay", problems: &problems) ?? config.retry.baseDelay
            config.retry.maxDelay = s.duration("max_delay", problems: &problems) ?? config.retry.maxDelay
            config.retry.deadline = s.duration("deadline", problems: &problems) ?? config.retry.deadline
            config.retry.budgetRatio = s.number("budget_ratio", in: 0...1, problems: &problems) ?? config.retry.budgetRatio
            config.retry.rateLimitWait = s.duration("rate_limit_wait", problems: &problems) ?? config.retry.rateLimitWait
        }
        if let s = root.section("pacing", problems: &problems) {
            s.rejectUnknownKeys(allowed: ["enabled", "requests_per_second", "burst", "queue"], problems: &problems)
            config.pacing.enabled = s.bool("enabled", problems: &problems) ?? true
            config.pacing.requestsPerSecond = s.number("requests_per_second", in: 0.001...100_000, problems: &problems) ?? config.pacing.requestsPerSecond
            config.pacing.burst = s.int("burst", min: 1, problems: &problems) ?? config.pacing.burst
            config.pacing.queue = s.int("queue", min: 0, problems: &problems) ?? config.pacing.queue
        }
        if let s = root.section("validation", problems: &problems) {
            s.rejectUnknownKeys(allowed: ["requests", "responses", "schema_repair", "schema_profile"], problems: &problems)
            let modes = ValidationSettings.Mode.allCases.map(\.rawValue)
            if let m = s.choice("requests", modes, problems: &problems).flatMap(ValidationSettings.Mode.init) { config.validation.requests = m }
            if let m = s.choice("responses", modes, problems: &problems).flatMap(ValidationSettings.Mode.init) { config.validation.responses = m }
            let repairs = ValidationSettings.SchemaRepair.allCases.map(\.rawValue)
            if let r = s.choice("schema_repair", repairs, problems: &problems).flatMap(ValidationSettings.SchemaRepair.init) { config.validation.schemaRepair = r }
            let profiles = ValidationSettings.SchemaProfile.allCases.map(\.rawValue)
            if let p = s.choice("schema_profile", profiles, problems: &problems).flatMap(ValidationSettings.SchemaProfile.init) { config.validation.schemaProfile = p }
        }
        if let s = root.section("policy", problems: &problems) {
            s.rejectUnknownKeys(allowed: ["tier", "allow", "deny"], problems: &problems)
            let tiers = PolicySettings.Tier.allCases.map(\.rawValue)
            if let t = s.choice("tier", tiers, problems: &problems).flatMap(PolicySettings.Tier.init) { config.policy.tier = t }
            config.policy.allow = s.strings("allow", problems: &problems) ?? config.policy.allow
            config.policy.deny = s.strings("deny", problems: &problems) ?? config.policy.deny
        }
        if let s = root.section("log", problems: &problems) {
            s.rejectUnknownKeys(allowed: ["path", "bodies", "max_bytes", "keep"], problems: &problems)
            var log = RequestLogSettings(path: HomePath.expand(s.string("path", problems: &problems) ?? "~/.mcpkeeper/requests.jsonl", home: home))
            log.includeBodies = s.bool("bodies", problems: &problems) ?? false
            log.maxBytes = s.int("max_bytes", min: 1024, problems: &problems) ?? log.maxBytes
            log.keep = s.int("keep", min: 0, problems: &problems) ?? log.keep
            config.log = log
        }
        if let s = root.section("token_encryption", problems: &problems) {
            s.rejectUnknownKeys(allowed: ["key_env", "key_file"], problems: &problems)
            if let name = s.string("key_env", problems: &problems) {
                config.tokenKey = .environment(name)
            } else if let path = s.string("key_file", problems: &problems) {
                config.tokenKey = .file(HomePath.expand(path, home: home))
            } else {
                problems.append(ConfigProblem(.error, "token_encryption", "expected \"key_env\" (a variable holding the key) or \"key_file\""))
            }
        }
        if let s = root.section("timeouts", problems: &problems) {
            s.rejectUnknownKeys(allowed: ["request", "request_max", "input_wait"], problems: &problems)
            config.inputWait = s.duration("input_wait", problems: &problems) ?? config.inputWait
            config.requestTimeout = s.duration("request", problems: &problems) ?? config.requestTimeout
            config.requestTimeoutMax = s.duration("request_max", problems: &problems) ?? max(config.requestTimeoutMax, config.requestTimeout)
        }
        if let s = root.section("tracing", problems: &problems) {
            s.rejectUnknownKeys(allowed: ["enabled", "endpoint", "service_name"], problems: &problems)
            var tracing = TracingSettings()
            tracing.enabled = s.bool("enabled", problems: &problems) ?? true
            if let endpoint = s.string("endpoint", problems: &problems) {
                if endpoint.hasPrefix("http://") || endpoint.hasPrefix("https://") {
                    tracing.endpoint = endpoint
                } else {
                    problems.append(ConfigProblem(.error, s.at("endpoint"), "expected the http:// or https:// URL of an OTLP/HTTP collector, e.g. \"http://127.0.0.1:4318\""))
                }
            }
            tracing.serviceName = s.string("service_name", problems: &problems)
            config.tracing = tracing
        }
        if let s = root.section("probe", problems: &problems) {
            s.rejectUnknownKeys(allowed: ["interval", "timeout"], problems: &problems)
            config.probe.interval = s.duration("interval", problems: &problems) ?? config.probe.interval
            config.probe.timeout = s.duration("timeout", problems: &problems) ?? config.probe.timeout
        }
    }
}
