/// Probes every configured upstream on its interval and keeps what blackbox-style scraping needs:
/// the last result and history per target. Probes of one target never overlap: a scrape that asks
/// while one runs gets that run's result; a stuck probe ends at its own timeout.
public actor Monitor {
    let plans: [String: Prober.Plan]
    let order: [String]
    let interval: Duration
    let prober: Prober
    let clock: any StageClock
    let random: any RandomSource
    /// Per target; a monitor built on a config reload starts from the previous one's, so a changed
    /// tool surface is still noticed across the reload.
    public private(set) var histories: [String: ProbeHistory]
    var last: [String: ProbeResult] = [:]
    var running: [String: Task<ProbeResult, Never>] = [:]
    /// What `/status` shows: every probe's outcome, kept in fixed-size rings.
    public nonisolated let board: StatusBoard
    /// Probes actually started, per target (tests use it to see that overlapping asks coalesce).
    public private(set) var started: [String: Int] = [:]

    /// Targets that cannot be probed at all (no token, nothing to start), with why: reported as
    /// UNKNOWN with success 0, so a misconfigured upstream alerts instead of vanishing.
    let unavailable: [String: String]

    public init(plans: [Prober.Plan], unavailable: [(target: String, reason: String)] = [], interval: Duration, prober: Prober,
                clock: any StageClock, random: any RandomSource, board: StatusBoard = StatusBoard(),
                histories: [String: ProbeHistory] = [:]) {
        self.plans = Dictionary(plans.map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
        self.unavailable = Dictionary(unavailable.map { ($0.target, $0.reason) }, uniquingKeysWith: { first, _ in first })
        self.order = plans.map(\.target) + unavailable.map(\.target)
        self.interval = interval
        self.prober = prober
        self.clock = clock
        self.random = random
        self.board = board
        let probed = Set(plans.map(\.target))
        self.histories = histories.filter { probed.contains($0.key) }
        board.keep(only: order)
        for name in order { board.register(name) }
    }

    public nonisolated var targets: [String] { order }

    /// Runs the schedule until cancelled: each target starts at a random offset within one interval
    /// and then repeats every interval ±10%, so targets never align into bursts.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            for name in order {
                group.addTask { await self.schedule(name) }
            }
        }
    }

    private func schedule(_ name: String) async {
        var wait = interval * random.unit()
        while !Task.isCancelled {
            do { try await clock.sleep(for: wait) } catch { return }
            _ = await probe(name)
            wait = interval * (0.9 + 0.2 * random.unit())
        }
    }

    /// A probe of `name` now, or the one already running; nil for an unknown target.
    public func probe(_ name: String) async -> ProbeResult? {
        if let reason = unavailable[name] {
            var result = ProbeResult(target: name, startedAt: clock.date)
            result.status = .unknown
            result.failedPhase = .connect
            result.failure = reason
            finish(result, of: name)
            return result
        }
        guard var plan = plans[name] else { return nil }
        if let current = running[name] { return await current.value }
        plan.previousToolSurface = histories[name]?.toolSurfaceHash
        started[name, default: 0] += 1
        let prober = self.prober
        let task = Task { await prober.probe(plan) }
        running[name] = task
        let result = await task.value
        running[name] = nil
        finish(result, of: name)
        return result
    }

    /// A probe's result kept for `/metrics` and the status page, and sent as a trace (a no-op
    /// unless tracing is configured).
    private func finish(_ result: ProbeResult, of name: String) {
        histories[name, default: ProbeHistory()].record(result)
        last[name] = result
        board.record(result)
        ProbeTrace.record(result)
    }

    /// Every target's last probe, as `/metrics` serves it.
    public func exposition() -> String {
        var text = PrometheusText()
        for name in order {
            guard let result = last[name] else { continue }
            ProbeRenderer.prometheus(result, history: histories[name] ?? ProbeHistory(), into: &text)
        }
        return text.grouped
    }

    /// A fresh probe of one target and only its metrics, as `/probe?target=` serves it.
    public func probeExposition(_ name: String) async -> String? {
        guard let result = await probe(name) else { return nil }
        var text = PrometheusText()
        ProbeRenderer.prometheus(result, history: histories[name] ?? ProbeHistory(), into: &text)
        return text.text
    }
}
