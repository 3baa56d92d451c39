import ArgumentParser
import Foundation
import KeeperCore
import Logging

/// What `serve` will run, resolved from flags and config before anything starts, so that every
/// mistake is reported up front.
struct ServePlan {
    var upstreamName: String
    var target: UpstreamTarget
    var logSettings: RequestLogSettings?
    var validation = ValidationSettings()
    var policy = PolicySettings()
    var retry = RetrySettings()
    var pacing = PacingSettings()
    /// Whether requests are paced (Notion upstreams, or a config that asks).
    var paced = false
    /// Whether Notion's in-result errors get `isError` and a remediation (the config's `hints`).
    var hints = true
    /// The upstream's `outcome_rules`, for the classifier the stages share.
    var outcomeRules: [NotionOutcomeRule] = []
    var stateDirectory: String
    /// `serve --listen`'s limits and exposure, from the config's `listener` section.
    var listener = ListenerLimits()
    var requestTimeout: Duration = .seconds(60)
    var requestTimeoutMax: Duration = .seconds(600)
    var inputWait: Duration = .seconds(300)
    var exposeToNetwork = false
    /// The whoami tool named in the config, for the live probe.
    var whoami: String?
    /// The upstream's `tools` section: overrides and quarantine.
    var tools = ToolSettings()
    /// Shared by every session of this upstream; nil when `tools.quarantine` is off.
    var quarantine: ToolQuarantine?
    /// The options that name this upstream to `mcpkeeper tools`, for the hints in refusals and logs.
    var toolsOptions = ""
    /// The served upstream's entry, so a config reload can tell whether it changed.
    var upstreamConfig: UpstreamConfig?
    var warnings: [ConfigProblem] = []
    /// The config's `tracing` section; `traced` once serve has bootstrapped a tracer from it (or `OTEL_*`).
    var tracing: TracingSettings?
    var traced = false

    init(command: [String], url: String?, transport: HTTPUpstreamSettings.Transport?, headers: [String] = [], configPath: String?, upstream: String?, name: String?,
         logPath: String?, shutdownGrace: Duration?, metrics: KeeperMetrics = KeeperMetrics(), interactiveLogin: Bool = false) throws {
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
                throw ValidationError("no upstream named '\(upstream ?? "")' in \(configPath ?? "the config"); known: \(known)")
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
        toolsOptions = (configPath.map { "--config \(Self.quoted($0)) " } ?? "") + "--upstream \(Self.quoted(upstreamName))"
        self.upstreamConfig = upstreamConfig
        if let logPath {
            var settings = logSettings ?? RequestLogSettings(path: logPath)
            settings.path = logPath
            logSettings = settings
        }
    }

    /// A word for a shell command line, quoted when it needs to be.
    static func quoted(_ word: String) -> String {
        let plain = !word.isEmpty && word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@".contains($0) }
        return plain ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// `--header "Name: value"` flags as a header map.
    static func headerFields(_ flags: [String]) throws -> [String: String] {
        var fields: [String: String] = [:]
        for flag in flags {
            guard let (name, value) = HeaderLine.parse(flag) else { throw ValidationError("--header: expected \"Name: value\", got \"\(flag)\"") }
            fields[name] = value
        }
        return fields
    }

    func openLog() throws -> RequestLog? {
        try logSettings.map { settings throws(FileAccessError) in try RequestLog(settings: settings) }
    }

    /// The request pipeline, outermost first: logging sees every outcome and attempt count; hints
    /// see only final results (a rate limit once the retries are spent); policy
    /// and validation answer before anything is sent (validation next to the retry loop sees the
    /// upstream's unfiltered tool list); retry repeats what may be repeated; pacing spaces each attempt.
    /// The retry budget and the pacing bucket are shared by every session of this upstream.
    func pipeline(log: RequestLog?, metrics: KeeperMetrics, logger: Logger, clock: any StageClock = SystemStageClock()) -> Pipeline {
        var stages: [any Stage] = []
        let classifier = NotionOutcomeClassifier(rules: outcomeRules)
        // Traced, the request's span encloses every stage, and the upstream's span is the innermost.
        if traced { stages.append(TracingStage()) }
        if let log { stages.append(LoggingStage(log: log)) }
        stages.append(MetricsStage(metrics: metrics))
        // Outside everything that names tools: policy, validation and retry see the upstream's own
        // names, definitions and (fixed) arguments; logs and metrics the names the client uses.
        if !tools.overrides.isEmpty || quarantine != nil {
            stages.append(ToolSurfaceStage(settings: tools, quarantine: quarantine, upstream: upstreamName, toolsOptions: toolsOptions,
                                           metrics: metrics, logger: logger))
        }
        if hints { stages.append(NotionHintStage(metrics: metrics, classifier: classifier)) }
        stages.append(PolicyStage(policy: ToolPolicy(settings: policy), tools: tools, metrics: metrics, logger: logger))
        // Between policy and validation: validation (and the tool catalog) keeps the upstream's original
        // schemas, the client sees the repaired list, and arguments are repaired before they are checked.
        if validation.schemaRepair == .safe || validation.schemaProfile == .strict {
            stages.append(SchemaRepairStage(settings: validation, metrics: metrics, logger: logger))
        }
        stages.append(ValidationStage(settings: validation, metrics: metrics, logger: logger))
        stages.append(RetryStage(settings: retry, budget: RetryBudget(ratio: retry.budgetRatio, minimumRetries: max(0, retry.maxAttempts - 1), clock: clock), clock: clock,
                                 random: SystemRandomSource(), metrics: metrics, logger: logger, finalNotionRateLimit: hints ? .upstreamResult : .proxyError,
                                 classifier: classifier, tools: tools))
        if paced {
            let name = upstreamName
            let bucket = TokenBucket(rate: pacing.requestsPerSecond, burst: pacing.burst, queueLimit: pacing.queue, clock: clock) { depth in
                metrics.pacingQueueDepth(upstream: name, depth)
            }
            stages.append(PacingStage(bucket: bucket, classifier: classifier, clock: clock))
        }
        if traced { stages.append(UpstreamSpanStage()) }
        return Pipeline(stages)
    }

    /// One client session against a fresh upstream link, until either side ends.
    /// `on`: the session thread that runs it (stdio); `reconnectTo` names the upstream each new link
    /// connects to (a reload may change it).
    func runSession(downstream: any MessageChannel, pipeline: Pipeline, log: RequestLog?, metrics: KeeperMetrics,
                    logger: Logger, on thread: SessionThread? = nil, reconnectTo: (@Sendable () -> UpstreamTarget)? = nil,
                    onStart: (ProxySession) -> Void = { _ in }) async throws(SpawnError) -> ProxySession.End {
        let upstream = try target.connect(name: upstreamName, logger: logger, readingOn: thread)
        let (target, name) = (self.target, upstreamName)
        let current = reconnectTo ?? { target }
        var settings = ProxySession.Settings(sessionID: SessionID.random(), upstreamName: upstreamName, shutdownGrace: target.shutdownGrace)
        settings.reconnectBackoff = Backoff(base: retry.baseDelay, cap: retry.maxDelay)
        settings.executor = thread
        if !(downstream is StdioChannel) { settings.maxInFlight = listener.maxInFlight }
        settings.requestTimeout = requestTimeout
        settings.requestTimeoutMax = max(requestTimeoutMax, requestTimeout)
        settings.parkedCallTimeout = inputWait
        let session = ProxySession(
            settings: settings,
            downstream: downstream, upstream: upstream, pipeline: pipeline, log: log, logger: logger,
            connector: { try current().connect(name: name, logger: logger, readingOn: thread) }, metrics: metrics)
        onStart(session)
        metrics.sessions(upstream: upstreamName, delta: 1)
        let watch = quarantine.map { quarantine in
            Task { [sessionID = settings.sessionID] in
                await QuarantineWatch.run(quarantine, session: sessionID) {
                    logger.notice("an approval released quarantined tools; telling the client its tool list changed", metadata: ["upstream": "\(name)"])
                    // Through the session, so a 2026-07-28 client hears it on its subscription.
                    await session.announceToolListChange()
                }
            }
        }
        defer {
            metrics.sessions(upstream: upstreamName, delta: -1)
            watch?.cancel()
            quarantine?.forget(session: settings.sessionID)
        }
        if let child = upstream as? ChildProcessChannel {
            logger.info("proxying", metadata: ["upstream": "\(upstreamName)", "pid": "\(child.process.pid)"])
        } else {
            logger.info("proxying", metadata: ["upstream": "\(upstreamName)"])
        }
        return await session.run()
    }
}

/// Session ids for logs: 16 hex digits from the system's random source.
enum SessionID {
    static func random() -> String {
        let hex = String(UInt64.random(in: .min ... .max), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}
