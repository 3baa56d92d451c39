/// How the simulated Notion server behaves: its faults (all off by default) and test hooks.
/// Shared by `mcpkeeper sandbox` flags and a config upstream of kind `sandbox`.
public struct SandboxOptions: Sendable, Equatable {
    /// Where in handling a write a crash happens.
    public enum CrashPoint: String, Sendable, CaseIterable {
        /// The write is never applied.
        case beforeApply = "before-apply"
        /// The write is applied and recorded, then the process dies before answering.
        case afterApply = "after-apply"
    }

    /// Added before answering every `tools/call`.
    public var latency: Duration = .zero
    /// Share of `tools/call` requests answered with Notion's 429 `rate_limited` error, 0...1.
    public var rateLimitRatio: Double = 0
    /// The wait the rate-limit error announces.
    public var retryAfter: Duration = .seconds(1)
    /// Exit abruptly on this `tools/call` (1-based), at `crashPoint`.
    public var crashAfter: Int?
    public var crashPoint: CrashPoint = .afterApply
    /// Share of `tools/call` requests during which the process crashes (at `crashPoint`), 0...1.
    public var crashRatio: Double = 0
    /// Keep the call count in this file, so a restarted sandbox continues the fault sequence instead
    /// of repeating it (a crash fault then fires once, not on every restart).
    public var faultState: String?
    /// Write one malformed line instead of the response to this request (1-based, any method).
    public var malformedAfter: Int?
    /// Answer this `tools/call` (1-based) with a result that breaks the MCP schema (`content` not an array).
    public var invalidResultAfter: Int?
    /// Behave as the official server does with a revoked or wrong token: every call returns Notion's
    /// 401 `unauthorized` error.
    public var invalidToken = false
    /// Answer every `tools/call` with Notion's error of this code (one of `NotionErrorHints.codes`).
    public var notionError: String?
    /// Seed for the fault dice, so a run can be repeated exactly.
    public var seed: UInt64 = 1
    /// Append one JSON line per applied write to this file (how tests prove nothing ran twice).
    public var writeLog: String?
    /// Append one JSON line per request received (method, tool): proof of what reached the server.
    public var receivedLog: String?
    /// Append every message received (requests, notifications, answers), whole, one JSON line each.
    public var messageLog: String?
    /// Split `tools/list` into pages of this many tools (cursor pagination).
    public var toolsPageSize: Int?
    /// Add the sandbox's own tools that exercise server-to-client requests.
    public var clientRequestTools = false
    /// Log each `tools/call` with its arguments as `notifications/message` (level info), as servers
    /// that trace their calls do: what a client must never see of another client's calls.
    public var logCalls = false
    /// After `notifications/initialized`, send this many log messages of about 1 KB at once.
    public var floodNotifications: Int?
    /// Add the tool `sandbox-big-result`, which returns a text of this many bytes (for benchmarks).
    public var bigResultBytes: Int?
    /// The MCP era(s) the sandbox speaks: the `initialize` handshake, stateless 2026-07-28, or both.
    public var protocolEra: ServedEras = .legacy
    /// The shape Notion's errors are reported in.
    public var dialect: SandboxDialect = .official
    /// 2026-07-28: `serverInfo` in the `_meta` of `server/discover` only, as servers that skip the
    /// SHOULD on their other results do.
    public var serverInfoOnlyOnDiscover = false

    public init() {}

    /// The command-line flags that reproduce these options for `mcpkeeper sandbox`.
    public var arguments: [String] {
        var args: [String] = []
        if latency > .zero { args += ["--latency", "\(Int64(latency.milliseconds.rounded()))ms"] }
        if rateLimitRatio > 0 { args += ["--rate-limit-ratio", "\(rateLimitRatio)"] }
        if retryAfter != .seconds(1) { args += ["--retry-after", "\(Int64(retryAfter.milliseconds.rounded()))ms"] }
        if let crashAfter { args += ["--crash-after", "\(crashAfter)"] }
        if crashRatio > 0 { args += ["--crash-ratio", "\(crashRatio)"] }
        if crashAfter != nil || crashRatio > 0 { args += ["--crash-point", crashPoint.rawValue] }
        if let faultState { args += ["--fault-state", faultState] }
        if let malformedAfter { args += ["--malformed-after", "\(malformedAfter)"] }
        if let invalidResultAfter { args += ["--invalid-result-after", "\(invalidResultAfter)"] }
        if invalidToken { args.append("--invalid-token") }
        if let notionError { args += ["--notion-error", notionError] }
        if seed != 1 { args += ["--seed", "\(seed)"] }
        if let writeLog { args += ["--write-log", writeLog] }
        if let receivedLog { args += ["--received-log", receivedLog] }
        if let messageLog { args += ["--message-log", messageLog] }
        if let toolsPageSize { args += ["--tools-page-size", "\(toolsPageSize)"] }
        if clientRequestTools { args.append("--client-request-tools") }
        if logCalls { args.append("--log-calls") }
        if let floodNotifications { args += ["--flood", "\(floodNotifications)"] }
        if let bigResultBytes { args += ["--big-result-bytes", "\(bigResultBytes)"] }
        if protocolEra != .legacy { args += ["--protocol", protocolEra.rawValue] }
        if dialect != .official { args += ["--dialect", dialect.rawValue] }
        if serverInfoOnlyOnDiscover { args.append("--server-info-only-on-discover") }
        return args
    }
}
