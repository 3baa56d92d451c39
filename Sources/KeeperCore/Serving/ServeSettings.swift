import Foundation

/// What `serve` runs, resolved from its flags and the config before anything starts, so that every
/// mistake is reported up front; a config reload resolves them again.
public struct ServeSettings: Sendable {
    public var upstreamName: String
    var target: UpstreamTarget
    var logSettings: RequestLogSettings?
    public var validation = ValidationSettings()
    public var policy = PolicySettings()
    var retry = RetrySettings()
    var pacing = PacingSettings()
    /// Whether requests are paced (Notion upstreams, or a config that asks).
    var paced = false
    /// Whether Notion's in-result errors get `isError` and a remediation (the config's `hints`).
    var hints = true
    /// The upstream's `outcome_rules`, for the classifier the stages share.
    public var outcomeRules: [NotionOutcomeRule] = []
    public var stateDirectory: String
    /// `serve --listen`'s limits and exposure, from the config's `listener` section.
    public var listener = ListenerLimits()
    public var requestTimeout: Duration = .seconds(60)
    var requestTimeoutMax: Duration = .seconds(600)
    var inputWait: Duration = .seconds(300)
    public var exposeToNetwork = false
    /// The whoami tool named in the config, for the live probe.
    public var whoami: String?
    /// The upstream's `tools` section: overrides and quarantine.
    var tools = ToolSettings()
    /// Shared by every session of this upstream; nil when `tools.quarantine` is off.
    var quarantine: ToolQuarantine?
    /// The options that name this upstream to `mcpkeeper tools`, for the hints in refusals and logs.
    var toolsOptions = ""
    /// The served upstream's entry, so a config reload can tell whether it changed.
    var upstreamConfig: UpstreamConfig?
    public var warnings: [ConfigProblem] = []
    /// The config's `tracing` section; `traced` once serve has bootstrapped a tracer from it (or `OTEL_*`).
    public var tracing: TracingSettings?
    public var traced = false

    /// The upstream is, in order: `command`; `url` (with `headers`, each "Name: value"); the config's
    /// upstream named `upstream` (else its default, else its first); else the built-in sandbox.
    public init(command: [String], url: String?, transport: HTTPUpstreamSettings.Transport?, headers: [String] = [], configPath: String?,
                upstream: String?, name: String?, logPath: String?, shutdownGrace: Duration?, metrics: KeeperMetrics = KeeperMetrics(),
                interactiveLogin: Bool = false) throws {
        var config: KeeperConfig?
        if let configPath {
            let (loaded, problems) = try ConfigLoader().load(path: configPath, serving: command.isEmpty && url == nil ? upstream : nil)
            config = loaded
            warnings = problems
        }
        let grace = shutdownGrace ?? .seconds(2)
        var upstreamConfig: UpstreamConfig?
        if let executable = command.first {
            upstreamName = name ?? URL(fileURLWithPath: executable).lastPathComponent
            let spec = ChildProcessSpec(executable: executable, arguments: Array(command.dropFirst()))
            upstreamConfig = UpstreamConfig(transport: .command(spec))
            target = .child(spec, shutdownGrace: grace)
        } else if let url {
            upstreamName = name ?? URL(string: url)?.host ?? "http"
            let kind = transport ?? .auto
            let fields = try Self.headerFields(headers)
            // Credentials given as --header (wrapped HTTP entries) are held secrets like any token.
            SecretScrubber.shared.registerEnvironment(fields, names: fields.keys.filter(Redactor.isSecretKey))
            let entry = UpstreamConfig(transport: .url(url, headers: fields, transport: kind))
            upstreamConfig = entry
            target = try UpstreamLauncher.target(for: entry, name: upstreamName)
        } else if let config {
            guard let chosen = upstream ?? config.defaultUpstream ?? config.upstreams.first?.name,
                  var entry = config.upstream(named: chosen) else {
                let known = config.upstreams.map(\.name).joined(separator: ", ")
                throw ServeSettingsError("no upstream named '\(upstream ?? "")' in \(configPath ?? "the config"); known: \(known)")
            }
            upstreamName = name ?? chosen
            if shutdownGrace != nil { entry.shutdownGrace = grace }
            upstreamConfig = entry
            whoami = entry.whoami
            target = try UpstreamLauncher.target(for: entry, name: chosen,
                                                 tokens: try TokenStore.configured(stateDirectory: config.stateDirectory, key: config.tokenKey),
                                                 login: interactiveLogin ? .always : .asConfigured,
                                                 onTokenExpiry: { metrics.tokenExpiry(upstream: chosen, $0) })
        } else {
            upstreamName = name ?? "sandbox"
            var sandbox = UpstreamConfig(transport: .sandbox(SandboxOptions()))
            sandbox.shutdownGrace = grace
            target = try UpstreamLauncher.target(for: sandbox, name: upstreamName)
        }
        stateDirectory = config?.stateDirectory ?? HomePath.defaultStateDirectory(home: ProcessInfo.processInfo.environment["HOME"] ?? "/")
        logSettings = config?.log
        validation = config?.validation ?? validation
        policy = config?.policy ?? policy
        retry = config?.retry ?? retry
        pacing = config?.pacing ?? pacing
        paced = pacing.enabled ?? upstreamConfig.map(UpstreamLauncher.isNotion) ?? false
        hints = config?.hints ?? hints
        listener = config?.listener ?? listener
        requestTimeout = config?.requestTimeout ?? requestTimeout
        requestTimeoutMax = config?.requestTimeoutMax ?? requestTimeoutMax
        inputWait = config?.inputWait ?? inputWait
        exposeToNetwork = config?.exposeToNetwork ?? exposeToNetwork
        tracing = config?.tracing
        outcomeRules = upstreamConfig?.outcomeRules ?? []
        tools = upstreamConfig?.tools ?? tools
        if tools.quarantine != .off {
            quarantine = ToolQuarantine(mode: tools.quarantine, store: ToolApprovalStore(stateDirectory: stateDirectory, upstream: upstreamName))
        }
        toolsOptions = (configPath.map { "--config \(ShellWord.quoted($0)) " } ?? "") + "--upstream \(ShellWord.quoted(upstreamName))"
        self.upstreamConfig = upstreamConfig
        if let logPath {
            var settings = logSettings ?? RequestLogSettings(path: logPath)
            settings.path = logPath
            logSettings = settings
        }
    }

    /// `--header "Name: value"` flags as a header map.
    static func headerFields(_ flags: [String]) throws(ServeSettingsError) -> [String: String] {
        var fields: [String: String] = [:]
        for flag in flags {
            guard let (name, value) = HeaderLine.parse(flag) else { throw ServeSettingsError("--header: expected \"Name: value\", got \"\(flag)\"") }
            fields[name] = value
        }
        return fields
    }

    /// The request log the settings ask for, opened; nil when there is none.
    func openLog() throws -> RequestLog? {
        try logSettings.map { settings throws(FileAccessError) in try RequestLog(settings: settings) }
    }
}
