import Logging

extension Pipeline {
    /// Serve's request pipeline for `settings`, outermost first; a stage that is off is left out:
    ///
    /// 1. tracing: the request's span, enclosing every stage (when serve bootstrapped a tracer)
    /// 2. logging (when there is a request log): sees every outcome and attempt count
    /// 3. metrics
    /// 4. tool surface (overrides or quarantine configured): outside everything that names tools,
    ///    so policy, validation and retry see the upstream's own names, definitions and (fixed)
    ///    arguments, and logs and metrics the names the client uses
    /// 5. Notion hints (`hints`): see only final results (a rate limit once the retries are spent)
    /// 6. policy: answers before anything is sent
    /// 7. schema repair (`schema_repair` safe or `schema_profile` strict): between policy and
    ///    validation, so validation (and the tool catalog) keeps the upstream's original schemas, the
    ///    client sees the repaired list, and arguments are repaired before they are checked
    /// 8. validation: next to the retry loop, it sees the upstream's unfiltered tool list
    /// 9. retry: repeats what may be repeated
    /// 10. pacing (Notion upstreams, or `pacing.enabled`): spaces each attempt
    /// 11. the upstream's span, the innermost (when traced)
    ///
    /// The proxy's own requests (its tool list, a replayed `initialize`) run through 9–11 only,
    /// the stages that face the upstream (`Stage.facesUpstream`). The retry budget and the pacing
    /// bucket are made here once, and shared by every session that runs this pipeline.
    static func standard(_ settings: ServeSettings, log: RequestLog?, metrics: KeeperMetrics, logger: Logger,
                         clock: any StageClock = SystemStageClock()) -> Pipeline {
        var stages: [any Stage] = []
        let classifier = NotionOutcomeClassifier(rules: settings.outcomeRules)
        let (tools, validation, retry, pacing) = (settings.tools, settings.validation, settings.retry, settings.pacing)
        if settings.traced { stages.append(TracingStage()) }
        if let log { stages.append(LoggingStage(log: log)) }
        stages.append(MetricsStage(metrics: metrics))
        if !tools.overrides.isEmpty || settings.quarantine != nil {
            stages.append(ToolSurfaceStage(settings: tools, quarantine: settings.quarantine, upstream: settings.upstreamName,
                                           toolsOptions: settings.toolsOptions, metrics: metrics, logger: logger))
        }
        if settings.hints { stages.append(NotionHintStage(metrics: metrics, classifier: classifier)) }
        stages.append(PolicyStage(policy: ToolPolicy(settings: settings.policy), tools: tools, metrics: metrics, logger: logger))
        if validation.schemaRepair == .safe || validation.schemaProfile == .strict {
            stages.append(SchemaRepairStage(settings: validation, metrics: metrics, logger: logger))
        }
        stages.append(ValidationStage(settings: validation, metrics: metrics, logger: logger))
        stages.append(RetryStage(settings: retry, budget: RetryBudget(ratio: retry.budgetRatio, minimumRetries: max(0, retry.maxAttempts - 1), clock: clock),
                                 clock: clock, random: SystemRandomSource(), metrics: metrics, logger: logger,
                                 finalNotionRateLimit: settings.hints ? .upstreamResult : .proxyError, classifier: classifier, tools: tools))
        if settings.paced {
            let name = settings.upstreamName
            let bucket = TokenBucket(rate: pacing.requestsPerSecond, burst: pacing.burst, queueLimit: pacing.queue, clock: clock) { depth in
                metrics.pacingQueueDepth(upstream: name, depth)
            }
            stages.append(PacingStage(bucket: bucket, classifier: classifier, clock: clock))
        }
        if settings.traced { stages.append(UpstreamSpanStage()) }
        return Pipeline(stages)
    }
}
