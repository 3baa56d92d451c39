import KeeperCore
import Logging

extension ServeSettings {
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
    /// One session; `reconnectTo` names the upstream each new link connects to (a reload may change it).
    func runSession(downstream: any MessageChannel, pipeline: Pipeline, log: RequestLog?, metrics: KeeperMetrics,
                    logger: Logger, reconnectTo: (@Sendable () -> UpstreamTarget)? = nil,
                    onStart: (ProxySession) -> Void = { _ in }) async throws(SpawnError) -> ProxySession.End {
        let upstream = try target.connect(name: upstreamName, logger: logger)
        let (target, name) = (self.target, upstreamName)
        let current = reconnectTo ?? { target }
        var settings = ProxySession.Settings(sessionID: SessionID.random(), upstreamName: upstreamName, shutdownGrace: target.shutdownGrace)
        settings.reconnectBackoff = Backoff(base: retry.baseDelay, cap: retry.maxDelay)
        if !(downstream is StdioChannel) { settings.maxInFlight = listener.maxInFlight }
        settings.requestTimeout = requestTimeout
        settings.requestTimeoutMax = max(requestTimeoutMax, requestTimeout)
        settings.parkedCallTimeout = inputWait
        let session = ProxySession(
            settings: settings,
            downstream: downstream, upstream: upstream, pipeline: pipeline, log: log, logger: logger,
            connector: { try current().connect(name: name, logger: logger) }, metrics: metrics)
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
