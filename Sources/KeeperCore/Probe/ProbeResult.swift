import Foundation

/// One probe of one upstream: how each phase went and what the server said about itself.
public struct ProbeResult: Sendable {
    /// Nagios states, in its exit-code order.
    public enum Status: Int, Sendable, Comparable {
        case ok = 0, warning = 1, critical = 2, unknown = 3

        public var label: String {
            switch self {
            case .ok: return "OK"
            case .warning: return "WARNING"
            case .critical: return "CRITICAL"
            case .unknown: return "UNKNOWN"
            }
        }

        public static func < (lhs: Status, rhs: Status) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// The phases, in the order they run.
    public enum Phase: String, Sendable, CaseIterable {
        case connect, initialize, toolsList = "tools_list", whoami, total
    }

    public var target: String
    public var startedAt: Date
    public var status: Status = .ok
    public var success = false
    /// Time spent in each phase that ran.
    public var durations: [Phase: Duration] = [:]
    /// The phase that failed or timed out, and why.
    public var failedPhase: Phase?
    public var failure: String?
    /// What a person should do about the failure, when there is something to do.
    public var hint: String?
    public var serverName: String?
    public var serverVersion: String?
    public var protocolVersion: String?
    /// The era the server spoke: the `initialize` handshake, or 2026-07-28's stateless requests.
    public var era: ProtocolEra?
    public var toolCount: Int?
    public var toolSurfaceHash: String?
    /// The previous run's hash differed (tools were added, removed or changed).
    public var toolSurfaceChanged = false
    public var whoamiTool: String?
    /// Who the credentials belong to, as the whoami tool said (e.g. the Notion bot's name).
    public var identity: String?
    /// Notion's error code when the whoami tool answered with one (`unauthorized`, `object_not_found`, …).
    public var notionErrorCode: String?
    public var validationErrors: [String] = []
    /// Why the status is WARNING, when it is.
    public var warnings: [String] = []

    public init(target: String, startedAt: Date) {
        self.target = target
        self.startedAt = startedAt
    }

    public var total: Duration { durations[.total] ?? .zero }
}

/// Latency thresholds on a probe's total time: past `warning`, WARNING; past `critical`, CRITICAL.
public struct ProbeThresholds: Sendable {
    public var warning: Duration?
    public var critical: Duration?

    public init(warning: Duration? = nil, critical: Duration? = nil) {
        self.warning = warning
        self.critical = critical
    }
}
