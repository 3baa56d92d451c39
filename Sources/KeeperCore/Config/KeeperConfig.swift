/// mcpkeeper's configuration: named upstreams and the settings of each pipeline concern.
/// Every key is optional but `upstreams`; see `config.example.json`.
public struct KeeperConfig: Sendable {
    public var defaultUpstream: String?
    public var stateDirectory: String
    /// In file order.
    public var upstreams: [(name: String, upstream: UpstreamConfig)]
    public var retry = RetrySettings()
    public var pacing = PacingSettings()
    public var validation = ValidationSettings()
    public var policy = PolicySettings()
    public var log: RequestLogSettings?
    public var probe = ProbeSettings()
    /// Where the key for encrypting token files comes from; nil stores them unencrypted (still 0600).
    public var tokenKey: TokenKeySource?
    /// Whether Notion's in-result API errors are marked as errors with a remediation (`NotionHintStage`).
    public var hints = true
    /// `timeouts.request`: how long the upstream may take to answer one request (progress restarts it).
    public var requestTimeout: Duration = .seconds(60)
    /// `timeouts.request_max`: the longest a request may run however much progress it reports.
    public var requestTimeoutMax: Duration = .seconds(600)
    /// `timeouts.input_wait`: how long a bridged call that asked the client something waits for its retry.
    public var inputWait: Duration = .seconds(300)
    /// `serve --listen`'s limits (the `listener` section).
    public var listener = ListenerLimits()
    /// `listener.expose_to_network`: whether `serve --listen` may bind beyond loopback.
    public var exposeToNetwork = false
    /// The `tracing` section: OpenTelemetry traces over OTLP/HTTP (off without it, unless `OTEL_*` asks).
    public var tracing: TracingSettings?

    public func upstream(named name: String) -> UpstreamConfig? {
        upstreams.first(where: { $0.name == name })?.upstream
    }
}

/// One upstream MCP server and how to reach it.
public struct UpstreamConfig: Sendable, Equatable {
    public enum Transport: Sendable, Equatable {
        /// A child process speaking MCP over stdio.
        case command(ChildProcessSpec)
        /// An HTTP endpoint (Streamable HTTP, or HTTP+SSE).
        case url(String, headers: [String: String], transport: HTTPUpstreamSettings.Transport = .auto)
        /// mcpkeeper's own simulated Notion server, run as a child.
        case sandbox(SandboxOptions)
    }

    public enum Auth: Sendable, Equatable {
        case none
        case bearer(tokenEnv: String)
        case oauth(clientID: String?, scopes: [String], redirectPort: Int?)
    }

    public var transport: Transport
    public var auth: Auth = .none
    /// For an OAuth upstream: whether `serve` may run the browser login itself (`auth.interactive`).
    public var login = InteractiveLoginSettings()
    /// The tool a probe calls to check the credentials (`API-get-self` for Notion's stdio server).
    public var whoami: String?
    /// For Notion's stdio server: the environment variable holding the `ntn_` token.
    public var notionTokenEnv: String?
    public var shutdownGrace: Duration = .seconds(2)
    /// The user's rules for reading this server's answers (`outcome_rules`), tried before the built-in ones.
    public var outcomeRules: [NotionOutcomeRule] = []
    /// How the upstream's tools are shown (`tools.overrides`) and whether changed ones are held back (`tools.quarantine`).
    public var tools = ToolSettings()

    public init(transport: Transport) { self.transport = transport }
}

public struct RetrySettings: Sendable, Equatable {
    public var maxAttempts = 5
    public var baseDelay: Duration = .milliseconds(250)
    public var maxDelay: Duration = .seconds(30)
    public var deadline: Duration = .seconds(60)
    public var budgetRatio = 0.2
    /// The least wait after a rate limit that names none (`RateLimitWait`).
    public var rateLimitWait: Duration = .seconds(1)

    public init() {}
}

public struct PacingSettings: Sendable, Equatable {
    /// nil: on for Notion upstreams only (their limit is what the defaults encode); a `pacing`
    /// section in the config turns it on for every upstream unless it says `"enabled": false`.
    public var enabled: Bool?
    public var requestsPerSecond = 3.0
    public var burst = 3
    public var queue = 100

    public init() {}
}

public struct ValidationSettings: Sendable, Equatable {
    public enum Mode: String, Sendable, CaseIterable { case enforce, warn, off }
    public var requests: Mode = .enforce
    public var responses: Mode = .warn

    /// `safe` (the default) repairs tool schemas in `tools/list` and un-stringifies double-encoded
    /// `tools/call` arguments; `off` passes both through untouched.
    public enum SchemaRepair: String, Sendable, CaseIterable { case safe, off }
    /// `strict` rewrites tool schemas for clients that accept only a subset of JSON Schema.
    public enum SchemaProfile: String, Sendable, CaseIterable { case `default`, strict }
    public var schemaRepair: SchemaRepair = .safe
    public var schemaProfile: SchemaProfile = .default

    public init() {}
}

public struct PolicySettings: Sendable, Equatable {
    public enum Tier: String, Sendable, CaseIterable { case read, write, admin }
    public var tier: Tier = .write
    public var allow = ["*"]
    public var deny: [String] = []

    public init() {}
}

public struct ProbeSettings: Sendable, Equatable {
    public var interval: Duration = .seconds(60)
    public var timeout: Duration = .seconds(10)

    public init() {}
}

/// `auth.interactive` and `auth.login_timeout` of an OAuth upstream: whether `serve` runs the browser
/// login itself when it has no usable login (none stored, or the refresh token was refused) and when
/// the upstream asks for a scope the token lacks (step-up), and how long it waits for the browser.
///
/// Off by default: `serve` usually runs as a background child of an MCP client, where nobody reads
/// stderr (the URL would go unseen), a browser tab opening by itself is a surprise, and on a server
/// there is no browser at all; a request would just hang until the timeout. Failing at once with
/// "log in: mcpkeeper auth login --upstream NAME" is better there. Opt in when someone is at the screen.
public struct InteractiveLoginSettings: Sendable, Equatable {
    public var enabled = false
    /// How long a login waits for the browser's redirect before the waiting requests fail.
    public var timeout: Duration = .seconds(300)

    public init() {}
}

/// The key for token-file encryption: an environment variable or a file holding 32 bytes (hex or base64).
public enum TokenKeySource: Sendable, Equatable {
    case environment(String)
    case file(String)
}
