/// A probe over a session's live link (`serve --probe-interval`): `tools/list` and the whoami tool
/// through the proxy's own requests, so it measures the path clients use without a second connection.
public struct LiveProbe: Sendable {
    public let target: String
    public let whoami: String?
    let clock: any StageClock
    let classifier: NotionOutcomeClassifier

    public init(target: String, whoami: String?, clock: any StageClock = SystemStageClock(),
                classifier: NotionOutcomeClassifier = NotionOutcomeClassifier()) {
        self.target = target
        self.whoami = whoami
        self.clock = clock
        self.classifier = classifier
    }

    public func probe(through upstream: any UpstreamRequester, previousToolSurface: String?) async -> ProbeResult {
        var result = ProbeResult(target: target, startedAt: clock.date)
        let start = clock.now
        var tools: [JSONValue] = []
        var cursor: String?
        do {
            repeat {
                let page = try await upstream.request("tools/list", params: cursor.map { ["cursor": .string($0)] })
                guard let listed = page.result else { throw TransportError.closed("tools/list: \(Prober.errorText(page))") }
                tools += listed["tools"]?.arrayValue ?? []
                cursor = listed["nextCursor"]?.stringValue
            } while cursor != nil
        } catch {
            result.failedPhase = .toolsList
            result.failure = "\(error)"
            result.status = .critical
            result.durations[.total] = clock.now - start
            return result
        }
        result.durations[.toolsList] = clock.now - start
        result.toolCount = tools.count
        result.toolSurfaceHash = ToolSurface.hash(tools)
        result.toolSurfaceChanged = previousToolSurface.map { $0 != result.toolSurfaceHash } ?? false
        let mark = clock.now
        if let tool = whoami ?? ToolSurface.whoami(in: tools) {
            result.whoamiTool = tool
            let answer = try? await upstream.request("tools/call", params: ["name": .string(tool), "arguments": WhoamiArguments.fill(tool, among: tools)])
            switch answer.map({ WhoamiAnswer.read($0, classifier: classifier, now: clock.date) }) {
            case .identity(let identity): result.identity = identity
            case .refused(let verdict):
                let judgement = WhoamiJudgement(verdict: verdict, tool: tool, authHint: nil)
                result.notionErrorCode = verdict.effectiveCode
                if judgement.critical {
                    result.failedPhase = .whoami
                    result.failure = judgement.failure
                    result.hint = judgement.hint
                } else {
                    result.warnings.append(judgement.failure)
                }
            case nil:
                result.failedPhase = .whoami
                result.failure = "\(tool) got no answer"
            }
            result.durations[.whoami] = clock.now - mark
        }
        result.durations[.total] = clock.now - start
        result.success = result.failure == nil
        result.status = !result.success ? .critical : (result.warnings.isEmpty && !result.toolSurfaceChanged ? .ok : .warning)
        return result
    }
}
