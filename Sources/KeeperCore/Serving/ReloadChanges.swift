/// Which settings a reload changed, grouped by when they take effect.
struct ReloadChanges {
    var live: [String] = []
    var nextSession: [String] = []
    var restart: [String] = []
    /// Whether what a client sees in `tools/list` may differ (so it is told `list_changed`).
    var toolListVisible = false

    init(old: ServeSettings, new: ServeSettings) {
        if old.policy != new.policy { live.append("policy") }
        if old.validation != new.validation { live.append("validation") }
        if old.retry != new.retry { live.append("retry") }
        if old.pacing != new.pacing || old.paced != new.paced { live.append("pacing") }
        if old.hints != new.hints { live.append("hints") }
        if old.logSettings != new.logSettings { live.append("log") }
        if old.outcomeRules != new.outcomeRules { live.append("outcome_rules") }
        toolListVisible = old.policy != new.policy || old.validation.schemaRepair != new.validation.schemaRepair
            || old.validation.schemaProfile != new.validation.schemaProfile
        if old.upstreamConfig != new.upstreamConfig { nextSession.append("upstream") }
        if old.requestTimeout != new.requestTimeout || old.requestTimeoutMax != new.requestTimeoutMax || old.inputWait != new.inputWait {
            nextSession.append("timeouts")
        }
        if old.listener.maxInFlight != new.listener.maxInFlight { nextSession.append("listener.max_in_flight") }
        var limits = new.listener
        limits.maxInFlight = old.listener.maxInFlight
        if limits != old.listener { live.append("listener") }
        if old.exposeToNetwork != new.exposeToNetwork { restart.append("listener.expose_to_network") }
        if old.stateDirectory != new.stateDirectory { restart.append("state_dir") }
    }
}
