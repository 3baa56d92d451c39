import ArgumentParser
import KeeperCore
import Logging
import NotionSandbox

struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run a simulated Notion MCP server on stdin/stdout, with optional fault injection.",
        discussion: """
        Every fault is off unless asked for. The same seed gives the same faults.
        Example:
          mcpkeeper sandbox --rate-limit-ratio 0.3 --seed 7
          mcpkeeper sandbox --notion-error object_not_found
          mcpkeeper sandbox --rate-limit-ratio 1 --dialect plain-text
          mcpkeeper sandbox --protocol dual --client-request-tools
        """
    )

    @Option(help: "Delay before answering each tools/call, e.g. 50ms.", transform: DurationFlag.parse)
    var latency: Duration?

    @Option(help: "Share of tools/call answered with Notion's 429 rate_limited error, 0 to 1.")
    var rateLimitRatio: Double = 0

    @Option(help: "The wait the rate-limit error announces, e.g. 1s.", transform: DurationFlag.parse)
    var retryAfter: Duration?

    @Option(help: "Exit abruptly during this tools/call (1-based).")
    var crashAfter: Int?

    @Option(help: "Crash during this share of tools/call requests, 0 to 1.")
    var crashRatio: Double = 0

    @Option(help: "Keep the call count in this file, so a restarted sandbox continues the fault sequence.")
    var faultState: String?

    @Option(help: "Where the crash happens: before-apply or after-apply (the write is applied, the answer lost).")
    var crashPoint: SandboxOptions.CrashPoint = .afterApply

    @Option(help: "Write a malformed line before the answer to this request (1-based).")
    var malformedAfter: Int?

    @Option(help: "Answer this tools/call (1-based) with a result that breaks the MCP schema.")
    var invalidResultAfter: Int?

    @Flag(help: "Answer every call with Notion's 401 unauthorized error, as with a revoked token.")
    var invalidToken = false

    @Option(help: "Answer every call with Notion's error of this code: \(NotionErrorHints.codes.joined(separator: ", ")).")
    var notionError: String?

    @Option(help: "Seed for the fault dice.")
    var seed: UInt64 = 1

    @Option(help: "Append one JSON line per applied write to this file.")
    var writeLog: String?

    @Option(help: "Append one JSON line per request received (method, tool) to this file.")
    var receivedLog: String?

    @Option(help: "Append every message received (requests, notifications, answers), whole, one JSON line each, to this file.")
    var messageLog: String?

    @Option(help: "Return tools/list in pages of this many tools.")
    var toolsPageSize: Int?

    @Flag(help: "Add tools that ask the client (roots/list, elicitation/create) or change the tool list (list_changed).")
    var clientRequestTools = false

    @Flag(help: "Log each tools/call with its arguments as a notifications/message (level info).")
    var logCalls = false

    @Option(help: "After notifications/initialized, send this many log messages of about 1 KB as fast as they are taken.")
    var flood: Int?

    @Option(name: .customLong("protocol"),
            help: "MCP era to speak: legacy (initialize handshake, up to 2025-11-25), modern (stateless 2026-07-28) or dual (both).")
    var protocolEra: ServedEras = .legacy

    @Option(help: "How Notion's errors are reported: official (Notion's error object as the text), nested-json (under \"details\", FastMCP style), plain-text (\"Status: 429\" text, isError, Notion's body in structuredContent) or hosted (Notion's hosted server: isError, structuredContent.error).")
    var dialect: SandboxDialect = .official

    @Flag(help: "MCP 2026-07-28: put serverInfo in the _meta of server/discover's result only, not of every result.")
    var serverInfoOnlyOnDiscover = false

    @Option(help: "Add the tool sandbox-big-result, which returns a text of this many bytes (for benchmarks).")
    var bigResultBytes: Int?

    @Option(help: "Serve Streamable HTTP at this address (e.g. http://127.0.0.1:8766) instead of stdio.")
    var listen: String?

    @Option(help: "HTTP: require Authorization: Bearer TOKEN, as the official server's --auth-token does.")
    var authToken: String?

    @Option(name: .customLong("http-429-ratio"), help: "HTTP: share of POSTs refused with 429 and Retry-After, 0 to 1.")
    var http429Ratio: Double = 0

    @Option(name: .customLong("http-503-ratio"), help: "HTTP: share of POSTs refused with 503 and Retry-After, 0 to 1.")
    var http503Ratio: Double = 0

    @Flag(help: "HTTP: answer every tools/call 200 with a body that is not JSON, as a broken gateway does.")
    var httpGarbageCalls = false

    @Flag(help: "HTTP: send Retry-After as an HTTP-date instead of seconds.")
    var retryAfterDate = false

    @Option(help: "HTTP: a session expires (404) at its Nth request.")
    var sessionExpireAfter: Int?

    @Option(help: "HTTP: a session expires (404) once this old, e.g. 30s.", transform: DurationFlag.parse)
    var sessionTtl: Duration?

    @Option(help: "HTTP: cut each POST's SSE response after this many events (the client resumes with Last-Event-ID).")
    var cutStreamAfter: Int?

    @Option(help: "HTTP, modern era: a comment line on open SSE streams this often (default 15s; a client that left is noticed at the next one, and its request cancelled).",
            transform: DurationFlag.parse)
    var sseKeepalive: Duration = .seconds(15)

    @Flag(help: "HTTP: require OAuth access tokens on the MCP endpoint and serve a test authorization server beside it (registration, PKCE, refresh rotation).")
    var oauth = false

    @Option(help: "OAuth: access tokens expire after this long, e.g. 60s (default 1h).", transform: DurationFlag.parse)
    var accessTokenTtl: Duration?

    @Option(help: "OAuth: refresh tokens expire after this long, e.g. 1h (default 24h).", transform: DurationFlag.parse)
    var refreshTokenTtl: Duration?

    @Option(help: "OAuth: access tokens need this scope on the MCP endpoint (403 insufficient_scope otherwise).")
    var requireScope: String?

    @OptionGroup var diagnostics: DiagnosticOptions

    /// What the parser cannot check by a value's type: ranges, and flags that need or exclude others.
    func validate() throws {
        for (ratio, flag) in [(rateLimitRatio, "--rate-limit-ratio"), (crashRatio, "--crash-ratio")] where !(0...1).contains(ratio) {
            throw ValidationError("\(flag): expected a number from 0 to 1")
        }
        if let notionError, !NotionErrorHints.codes.contains(notionError) {
            throw ValidationError("--notion-error: expected one of \(NotionErrorHints.codes.joined(separator: ", "))")
        }
        guard (0...1).contains(http429Ratio), (0...1).contains(http503Ratio), http429Ratio + http503Ratio <= 1 else {
            throw ValidationError("--http-429-ratio and --http-503-ratio: expected numbers from 0 to 1 that add up to at most 1")
        }
        try validateOAuth()
    }

    private func validateOAuth() throws {
        guard oauth else {
            if accessTokenTtl != nil || refreshTokenTtl != nil || requireScope != nil {
                throw ValidationError("--access-token-ttl, --refresh-token-ttl and --require-scope need --oauth")
            }
            return
        }
        guard listen != nil else { throw ValidationError("--oauth needs --listen: OAuth is an HTTP mode") }
        guard authToken == nil else { throw ValidationError("--oauth and --auth-token exclude each other: choose one way to authenticate") }
        for (flag, ttl) in [("--access-token-ttl", accessTokenTtl), ("--refresh-token-ttl", refreshTokenTtl)] where ttl == .zero {
            throw ValidationError("\(flag): expected a duration longer than zero")
        }
        if let requireScope, requireScope.split(separator: " ").isEmpty {
            throw ValidationError("--require-scope: expected a scope such as notion:write")
        }
    }

    func options() -> SandboxOptions {
        var options = SandboxOptions()
        options.latency = latency ?? options.latency
        options.retryAfter = retryAfter ?? options.retryAfter
        options.rateLimitRatio = rateLimitRatio
        options.crashAfter = crashAfter
        options.crashRatio = crashRatio
        options.faultState = faultState
        options.crashPoint = crashPoint
        options.malformedAfter = malformedAfter
        options.invalidResultAfter = invalidResultAfter
        options.invalidToken = invalidToken
        options.notionError = notionError
        options.seed = seed
        options.writeLog = writeLog
        options.receivedLog = receivedLog
        options.messageLog = messageLog
        options.toolsPageSize = toolsPageSize
        options.clientRequestTools = clientRequestTools
        options.logCalls = logCalls
        options.serverInfoOnlyOnDiscover = serverInfoOnlyOnDiscover
        options.floodNotifications = flood
        options.bigResultBytes = bigResultBytes
        options.protocolEra = protocolEra
        options.dialect = dialect
        return options
    }

    func httpFaults() -> SandboxHTTPFaultOptions {
        var faults = SandboxHTTPFaultOptions()
        faults.rateLimitRatio = http429Ratio
        faults.unavailableRatio = http503Ratio
        faults.retryAfterSeconds = Int((options().retryAfter.milliseconds / 1000).rounded(.up))
        faults.retryAfterAsDate = retryAfterDate
        faults.sessionExpiresAfter = sessionExpireAfter
        faults.sessionLifetime = sessionTtl
        faults.garbageToolCalls = httpGarbageCalls
        faults.seed = seed
        return faults
    }

    func oauthOptions() -> SandboxOAuthOptions? {
        guard oauth else { return nil }
        var options = SandboxOAuthOptions()
        options.accessTokenLifetime = accessTokenTtl ?? options.accessTokenLifetime
        options.refreshTokenLifetime = refreshTokenTtl ?? options.refreshTokenLifetime
        if let requireScope { options.requiredScopes = requireScope.split(separator: " ").map(String.init) }
        return options
    }

    func run() async throws {
        let options = options()
        let logger = diagnostics.bootstrap(label: "sandbox")
        ShutdownSignals.ignoreBrokenPipes()
        if let listen {
            try await serveHTTP(listen: listen, options: options, logger: logger)
            return
        }
        let channel = StdioChannel()
        let state = try SandboxState(options: options, logger: logger) { _ = channel.flush(timeout: .seconds(1)) }
        await SandboxServer(state: state, channel: channel, logger: logger).run()
        _ = channel.flush(timeout: .seconds(2))
    }

    private func serveHTTP(listen: String, options: SandboxOptions, logger: Logger) async throws {
        var settings = try HTTPListenerSettings(listen: listen)
        settings.bearerKey = authToken
        settings.cutStreamsAfterEvents = cutStreamAfter
        settings.sseKeepAlive = sseKeepalive
        settings.limits.maxSessions = 1000
        settings.limits.maxConnections = 1000
        // Test clients of the sandbox may hold a fresh session unused for long; only idleness ends one.
        settings.limits.unusedSessionTimeout = settings.limits.sessionIdleTimeout
        settings.supportedVersions = SandboxServer.versions(servedBy: options.protocolEra)
        settings.servedEras = options.protocolEra
        let address = SandboxOAuthAddress(host: settings.host, mcpPath: settings.path)
        var oauthRoutes: StreamableHTTPServer.RouteInstaller?
        if let oauthOptions = oauthOptions() {
            let authorization = SandboxOAuthServer(options: oauthOptions)
            settings.authorizer = SandboxOAuthAuthorizer(server: authorization, address: address)
            let routes = SandboxOAuthRoutes(server: authorization, address: address)
            oauthRoutes = { router in routes.install(on: router) }
            settings.publicPaths = SandboxOAuthRoutes.publicPaths(mcpPath: settings.path)
        }
        try settings.checkExposure(flag: nil)
        let state = try SandboxState(options: options, logger: logger)
        let faults = SandboxHTTPFaults(options: httpFaults())
        let server = StreamableHTTPServer(settings: settings, logger: logger, hook: { message, session in
            faults.decide(message, session: session)
        }, extraRoutes: oauthRoutes) { channel in
            await SandboxServer(state: state, channel: channel, logger: logger).run()
        }
        let (host, path) = (settings.host, settings.path)
        let signals = ShutdownSignals { _ in Task { await server.shutdown() } }
        try await server.run { port in
            address.port = port
            logger.notice("listening", metadata: ["url": "http://\(host):\(port)\(path)"])
        }
        withExtendedLifetime(signals) {}
    }
}

extension SandboxOptions.CrashPoint: ExpressibleByArgument {}
extension ServedEras: ExpressibleByArgument {}
extension SandboxDialect: ExpressibleByArgument {}
