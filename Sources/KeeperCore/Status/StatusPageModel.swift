import Foundation

/// Everything the status page shows, as plain values: `StatusPage.html` turns it into HTML with no
/// other input, so tests check content and escaping without a server.
public struct StatusPageModel: Sendable {
    /// Which process serves the page (`monitor`, `serve`), in the title.
    public var source: String
    public var generatedAt: Date
    /// The page reloads itself this often (a meta refresh; no script).
    public var refreshSeconds: Int
    public var upstreams: [UpstreamStatus]
    /// Process-wide notes shown above the upstreams (a config reload that failed).
    public var notices: [String] = []

    public init(source: String, generatedAt: Date, refreshSeconds: Int, upstreams: [UpstreamStatus]) {
        self.source = source
        self.generatedAt = generatedAt
        self.refreshSeconds = refreshSeconds
        self.upstreams = upstreams
    }
}

/// One upstream on the status page.
public struct UpstreamStatus: Sendable {
    public var name: String
    /// nil until the first probe or link change says.
    public var up: Bool?
    public var since: Date?
    /// Newest last.
    public var probes: [ProbeSummary] = []
    /// Newest last.
    public var errors: [StatusError] = []
    /// Newest last.
    public var toolChanges: [ToolSurfaceChange] = []
    public var rateLimitsLastHour = 0
    public var retriesLastHour = 0
    public var token: TokenStatus?

    public init(name: String) { self.name = name }
}

/// What the page keeps of one probe.
public struct ProbeSummary: Sendable, Equatable {
    public var startedAt: Date
    public var status: ProbeResult.Status
    public var success: Bool
    public var durations: [ProbeResult.Phase: Duration]
    public var failedPhase: ProbeResult.Phase?

    public init(_ result: ProbeResult) {
        startedAt = result.startedAt
        status = result.status
        success = result.success
        durations = result.durations
        failedPhase = result.failedPhase
    }
}

/// A failure and what to do about it.
public struct StatusError: Sendable, Equatable {
    public var date: Date
    public var phase: String?
    public var message: String
    public var hint: String?

    public init(date: Date, phase: String?, message: String, hint: String?) {
        self.date = date
        self.phase = phase
        self.message = message
        self.hint = hint
    }
}

/// A probe that found the tool list different from the run before.
public struct ToolSurfaceChange: Sendable, Equatable {
    public var date: Date
    public var toolCount: Int?
    public var hash: String?

    public init(date: Date, toolCount: Int?, hash: String?) {
        self.date = date
        self.toolCount = toolCount
        self.hash = hash
    }
}

/// An OAuth upstream's login as the page reports it; never the token itself.
public enum TokenStatus: Sendable, Equatable {
    case notLoggedIn
    /// The token file cannot be used; the reason says how to fix it.
    case unusable(String)
    /// `refreshable` nil: not known (serve reports only the expiry).
    case expires(Date?, refreshable: Bool?)

    /// Within this of its expiry, a token without a refresh token needs a new login soon.
    public static let nearExpiry: TimeInterval = 3600

    /// Whether a person should log in again: no usable login, expired, or near expiry with nothing to refresh it.
    public func needsLogin(now: Date) -> Bool {
        switch self {
        case .notLoggedIn, .unusable: return true
        case .expires(nil, _): return false
        case .expires(let date?, let refreshable):
            let left = date.timeIntervalSince(now)
            return left <= 0 || (refreshable != true && left <= Self.nearExpiry)
        }
    }

    /// The login in `store` for `upstream`, read now.
    public static func read(from store: TokenStore, upstream: String) -> TokenStatus {
        do {
            guard let tokens = try store.load(upstream) else { return .notLoggedIn }
            return .expires(tokens.expiresAt, refreshable: tokens.refreshToken != nil)
        } catch {
            return .unusable("\(error)")
        }
    }
}
