import Foundation
import Synchronization

/// What the status page remembers per upstream, in fixed-size rings: the last probes, errors and
/// tool-surface changes, up/down and since when, and per-minute tallies of rate limits and retries.
/// Fed by the monitor's probes, the live probe and `KeeperMetrics`; read by `snapshot`.
public final class StatusBoard: Sendable {
    public static let probeCapacity = 30
    public static let errorCapacity = 10
    public static let changeCapacity = 10
    /// Upstream names beyond this many are not tracked (a process has a handful; this is a backstop).
    public static let upstreamCapacity = 64
    /// Longest upstream-supplied text kept for one error or hint.
    static let textLimit = 500

    struct Record: Sendable {
        var up: Bool?
        var since: Date?
        var probes = FixedRing<ProbeSummary>(capacity: StatusBoard.probeCapacity)
        var errors = FixedRing<StatusError>(capacity: StatusBoard.errorCapacity)
        var changes = FixedRing<ToolSurfaceChange>(capacity: StatusBoard.changeCapacity)
        var rateLimits = MinuteTally()
        var retries = MinuteTally()
        var tokenExpiry: Date?

        mutating func state(_ up: Bool, at date: Date) {
            guard self.up != up else { return }
            self.up = up
            since = date
        }
    }

    private let records = Mutex<(order: [String], byName: [String: Record])>(([], [:]))
    private let now: @Sendable () -> Date

    public init(now: @escaping @Sendable () -> Date = { Date() }) {
        self.now = now
    }

    private func update(_ upstream: String, _ change: (inout Record) -> Void) {
        records.withLock { state in
            if state.byName[upstream] == nil {
                guard state.order.count < Self.upstreamCapacity else { return }
                state.order.append(upstream)
            }
            change(&state.byName[upstream, default: Record()])
        }
    }

    /// Forgets upstreams not in `names` (targets a config reload removed).
    public func keep(only names: [String]) {
        let kept = Set(names)
        records.withLock { state in
            state.order.removeAll { !kept.contains($0) }
            state.byName = state.byName.filter { kept.contains($0.key) }
        }
    }

    /// Lists `upstream` before anything happened to it, so a target shows from the start.
    public func register(_ upstream: String) { update(upstream) { _ in } }

    /// One probe's outcome: its timings, up or down, its failure and hint, a changed tool surface.
    public func record(_ result: ProbeResult) {
        update(result.target) { record in
            record.probes.append(ProbeSummary(result))
            record.state(result.success, at: result.startedAt)
            if let failure = result.failure {
                record.errors.append(StatusError(date: result.startedAt, phase: result.failedPhase?.rawValue,
                                                 message: HTMLText.clipped(failure, to: Self.textLimit),
                                                 hint: result.hint.map { HTMLText.clipped($0, to: Self.textLimit) }))
            } else {
                // A WARNING's reasons (a rate-limited whoami, tools held back by quarantine) say what to look at.
                for warning in result.warnings {
                    record.errors.append(StatusError(date: result.startedAt, phase: "warning",
                                                     message: HTMLText.clipped(warning, to: Self.textLimit), hint: nil))
                }
            }
            if result.toolSurfaceChanged {
                record.changes.append(ToolSurfaceChange(date: result.startedAt, toolCount: result.toolCount, hash: result.toolSurfaceHash))
            }
            if result.notionErrorCode == "rate_limited" { record.rateLimits.record(at: result.startedAt) }
        }
    }

    /// The proxy's link to the upstream came up or went down.
    public func link(_ upstream: String, up: Bool) {
        let date = now()
        update(upstream) { $0.state(up, at: date) }
    }

    public func retry(_ upstream: String) {
        let date = now()
        update(upstream) { $0.retries.record(at: date) }
    }

    public func rateLimited(_ upstream: String) {
        let date = now()
        update(upstream) { $0.rateLimits.record(at: date) }
    }

    public func tokenExpiry(_ upstream: String, _ date: Date) {
        update(upstream) { $0.tokenExpiry = date }
    }

    /// Every upstream as the page shows it at `now`; `token` gives a login's status where one is
    /// known better than the expiry this board was told (monitor reads the token store).
    public func snapshot(token: (String) -> TokenStatus? = { _ in nil }) -> (now: Date, upstreams: [UpstreamStatus]) {
        let date = now()
        let (order, byName) = records.withLock { ($0.order, $0.byName) }
        let upstreams = order.compactMap { name -> UpstreamStatus? in
            guard let record = byName[name] else { return nil }
            var status = UpstreamStatus(name: name)
            status.up = record.up
            status.since = record.since
            status.probes = record.probes.elements
            status.errors = record.errors.elements
            status.toolChanges = record.changes.elements
            status.rateLimitsLastHour = record.rateLimits.lastHour(now: date)
            status.retriesLastHour = record.retries.lastHour(now: date)
            status.token = token(name) ?? record.tokenExpiry.map { .expires($0, refreshable: nil) }
            return status
        }
        return (date, upstreams)
    }

    /// The whole page at this moment.
    public func page(source: String, refreshSeconds: Int, notices: [String] = [],
                     token: (String) -> TokenStatus? = { _ in nil }) -> StatusPageModel {
        let (date, upstreams) = snapshot(token: token)
        var model = StatusPageModel(source: source, generatedAt: date, refreshSeconds: refreshSeconds, upstreams: upstreams)
        model.notices = notices
        return model
    }
}
