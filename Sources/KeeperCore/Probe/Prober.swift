import Foundation
import Logging
import Synchronization

/// Runs one probe: connect, `initialize` (or, for a 2026-07-28 server, `server/discover`),
/// `tools/list` (every page), the whoami tool, then a clean shutdown, each phase timed, the whole
/// bounded by one timeout that names the phase it cut short.
public struct Prober: Sendable {
    public let clock: any StageClock
    let logger: Logger

    public init(clock: any StageClock = SystemStageClock(), logger: Logger) {
        self.clock = clock
        self.logger = logger
    }

    /// What to probe and how to judge it.
    public struct Plan: Sendable {
        public var target: String
        public var upstream: UpstreamTarget
        /// The whoami tool; nil picks the first known one the server lists.
        public var whoami: String?
        public var timeout: Duration = .seconds(10)
        public var thresholds = ProbeThresholds()
        /// The tool-surface hash of the previous run, to notice a change.
        public var previousToolSurface: String?
        /// How to log in again, for an authentication failure's hint.
        public var authHint: String?
        /// How the whoami's answer is read (the upstream's `outcome_rules` and the built-in ones).
        public var classifier = NotionOutcomeClassifier()
        /// The upstream's approved tool definitions (`tools.quarantine`): a listed tool that differs is a WARNING.
        public var quarantine: ToolQuarantine?

        public init(target: String, upstream: UpstreamTarget) {
            self.target = target
            self.upstream = upstream
        }
    }

    /// Where a running probe is, so a timeout can say which phase it cut short.
    final class Progress: Sendable {
        private let state = Mutex(ProbeResult.Phase.connect)
        var phase: ProbeResult.Phase {
            get { state.withLock { $0 } }
            set { state.withLock { $0 = newValue } }
        }
    }

    public func probe(_ plan: Plan) async -> ProbeResult {
        let started = clock.now
        let progress = Progress()
        let work = Task { await run(plan, progress: progress) }
        let timer = Task {
            try await clock.sleep(for: plan.timeout)
            work.cancel()
        }
        var result = await work.value
        timer.cancel()
        if work.isCancelled {
            let stuck = progress.phase
            result.failedPhase = stuck
            result.failure = "timed out after \(RetryStage.seconds(plan.timeout)) s during \(stuck.rawValue)"
            result.status = .critical
            result.success = false
        }
        result.durations[.total] = clock.now - started
        judge(&result, plan: plan)
        return result
    }

    private func run(_ plan: Plan, progress: Progress) async -> ProbeResult {
        let (startedAt, connecting) = (clock.date, clock.now)
        let link: any UpstreamLink
        do {
            link = try plan.upstream.connect(name: plan.target, logger: logger)
        } catch {
            var result = ProbeResult(target: plan.target, startedAt: startedAt)
            result.failedPhase = .connect
            result.failure = error.description
            result.status = .critical
            return result
        }
        let client = ProbeClient(link: link)
        await client.start()
        let outcome = await phases(plan, client: client, progress: progress, startedAt: startedAt, connecting: connecting)
        // After a timeout the server is not owed a patient goodbye: a short grace, then signals.
        await client.close(grace: Task.isCancelled ? .milliseconds(200) : .seconds(2))
        return outcome
    }

    private func phases(_ plan: Plan, client: ProbeClient, progress: Progress, startedAt: Date,
                        connecting: ContinuousClock.Instant) async -> ProbeResult {
        var result = ProbeResult(target: plan.target, startedAt: startedAt)
        var mark = connecting
        func finish(_ p: ProbeResult.Phase) {
            result.durations[p] = clock.now - mark
            mark = clock.now
        }
        func fail(_ p: ProbeResult.Phase, _ message: String, hint: String? = nil) -> ProbeResult {
            if Task.isCancelled { return result }
            result.failedPhase = p
            result.failure = message
            result.hint = hint
            result.status = .critical
            return result
        }
        finish(.connect)

        progress.phase = .initialize
        let opening: ProbeOpening
        do {
            opening = try await open(client)
        } catch {
            return fail(.initialize, "\(error)", hint: authHint(error, plan: plan))
        }
        let (dialect, info, method): (ProbeDialect, JSONValue, String)
        switch opening {
        case .ready(let spoken, let answer, let asked): (dialect, info, method) = (spoken, answer, asked)
        case .refused(let message): return fail(.initialize, message)
        }
        let version = dialect.version
        result.era = dialect.era
        let server = dialect.serverInfo(in: info)
        result.serverName = server?["name"]?.stringValue
        result.serverVersion = server?["version"]?.stringValue
        result.protocolVersion = version.rawValue
        result.validationErrors += MCPMessageChecks.checkResult(method: method, result: info, version: version).map { "\(method): \($0)" }
        finish(.initialize)

        progress.phase = .toolsList
        var tools: [JSONValue] = []
        var cursor: String?
        repeat {
            let page: JSONRPCMessage
            do {
                page = try await client.request("tools/list", params: dialect.params(cursor.map { ["cursor": .string($0)] }))
            } catch {
                return fail(.toolsList, "\(error)")
            }
            guard let listed = page.result else { return fail(.toolsList, "tools/list failed: \(Self.errorText(page))") }
            result.validationErrors += MCPMessageChecks.checkResult(method: "tools/list", result: listed, version: version).map { "tools/list: \($0)" }
            tools += listed["tools"]?.arrayValue ?? []
            cursor = listed["nextCursor"]?.stringValue
        } while cursor != nil
        result.toolCount = tools.count
        result.toolSurfaceHash = ToolSurface.hash(tools)
        if let previous = plan.previousToolSurface, previous != result.toolSurfaceHash { result.toolSurfaceChanged = true }
        finish(.toolsList)
        if let quarantine = plan.quarantine {
            let holds = tools.compactMap(quarantine.hold(for:))
            if !holds.isEmpty {
                result.warnings.append("\(holds.count) tool\(holds.count == 1 ? "" : "s") held back by tools.quarantine until approved (\(holds.map(\.tool).joined(separator: ", "))); review with: mcpkeeper tools diff --upstream \(plan.target)")
            }
        }

        progress.phase = .whoami
        guard let whoami = plan.whoami ?? ToolSurface.whoami(in: tools) else {
            result.warnings.append(ToolSurface.noWhoamiWarning(toolCount: tools.count))
            result.success = true
            return result
        }
        result.whoamiTool = whoami
        let answer: JSONRPCMessage
        do {
            answer = try await client.request("tools/call", params: dialect.params(["name": .string(whoami), "arguments": WhoamiArguments.fill(whoami, among: tools)]))
        } catch {
            return fail(.whoami, "\(error)", hint: authHint(error, plan: plan))
        }
        switch WhoamiAnswer.read(answer, classifier: plan.classifier, now: clock.date) {
        case .identity(let identity):
            result.identity = identity
        case .refused(let verdict):
            result.notionErrorCode = verdict.effectiveCode
            let judgement = WhoamiJudgement(verdict: verdict, tool: whoami, authHint: plan.authHint)
            guard judgement.critical else {
                result.warnings.append(judgement.failure)
                break
            }
            return fail(.whoami, judgement.failure, hint: judgement.hint)
        }
        finish(.whoami)
        result.success = true
        return result
    }

    /// Turns the facts into a status: failures are CRITICAL; latency thresholds, a changed tool
    /// surface, validation errors and warnings make an otherwise good probe WARNING.
    func judge(_ result: inout ProbeResult, plan: Plan) {
        guard result.success else {
            result.status = .critical
            return
        }
        if let critical = plan.thresholds.critical, result.total > critical {
            result.status = .critical
            result.warnings.append("took \(RetryStage.seconds(result.total)) s, over the critical threshold")
            return
        }
        if let warning = plan.thresholds.warning, result.total > warning {
            result.warnings.append("took \(RetryStage.seconds(result.total)) s, over the warning threshold")
        }
        if result.toolSurfaceChanged { result.warnings.append("the tool surface changed since the last probe") }
        if !result.validationErrors.isEmpty { result.warnings.append("\(result.validationErrors.count) response(s) failed validation") }
        result.status = result.warnings.isEmpty ? .ok : .warning
    }

    private func authHint(_ error: any Error, plan: Plan) -> String? {
        guard let transport = error as? TransportError, let status = transport.httpStatus, status == 401 || status == 403 else { return nil }
        return plan.authHint ?? Self.genericAuthHint
    }

    static let genericAuthHint = "check the credentials the server is given (for Notion's stdio server: NOTION_TOKEN, an ntn_ integration token shared with your pages)"

    static func errorText(_ message: JSONRPCMessage) -> String {
        if case .errorResponse(_, let error) = message.kind { return "\(error.code) \(error.message)" }
        return "no result"
    }
}
