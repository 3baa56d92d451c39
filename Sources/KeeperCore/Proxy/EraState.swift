/// What a session knows of each side's MCP era, and what bridging between different eras keeps.
struct EraState {
    /// Set by the client's first request: `initialize` (legacy) or modern `_meta`.
    var client: ProtocolEra?
    /// The latest `_meta` of a modern client: the proxy's own requests carry it.
    var clientMeta: JSONValue?
    /// The version that `_meta` declares, which the proxy's own requests speak with it.
    var clientVersion: MCPProtocolVersion?
    /// The link these per-link facts describe.
    var linkGeneration = 0
    /// The current link's era, learned once per link.
    var upstream = UpstreamEraKnowledge.unknown
    /// Once a probe killed the upstream, later links are taken as legacy without probing.
    var probeKillsUpstream = false
    /// A modern client on a legacy upstream: the upstream session the proxy opened for it (per link).
    var legacySession = LegacySessionState.none
    /// What a modern upstream's `server/discover` said of it.
    var modernServer = ModernServerFacts()
    /// A modern client on a legacy upstream: its `subscriptions/listen` requests, served by the proxy.
    var subscriptions: [RequestID: BridgedSubscription] = [:]
    /// A modern client on a legacy upstream: calls during which the upstream may ask the client something.
    var calls: [Int: BridgedCall] = [:]
    /// `requestState` handed to the client -> the call it continues.
    var parked: [String: Int] = [:]
    var nextCall = 1
    var nextInput = 1
    /// The log level last set on the current legacy link for a modern client's `_meta` logLevel.
    var legacyLogLevel: JSONValue?

    mutating func enterLink(_ generation: Int) {
        guard generation > linkGeneration else { return }
        linkGeneration = generation
        // Whoever waited on the old link learns nothing from it; they see the link was replaced.
        if case .learning(let waiters) = upstream { waiters.forEach { $0.resume(returning: .legacy) } }
        if case .starting(let waiters) = legacySession { waiters.forEach { $0.resume(returning: nil) } }
        upstream = .unknown
        legacySession = .none
        legacyLogLevel = nil
    }
}

enum UpstreamEraKnowledge {
    case unknown
    case learning([CheckedContinuation<ProtocolEra, Never>])
    case known(ProtocolEra)
}

enum LegacySessionState {
    case none
    case starting([CheckedContinuation<JSONValue?, Never>])
    /// The upstream's `initialize` result.
    case ready(JSONValue)
}

struct ModernServerFacts {
    var capabilities: JSONValue?
    /// The upstream's identity, for results that leave it out.
    var serverInfo: JSONValue?
}

/// A modern client's subscription, answered by the proxy from a legacy upstream's notifications.
struct BridgedSubscription {
    /// What the proxy agreed to deliver.
    let filter: JSONObject
    var waiter: CheckedContinuation<Void, Never>?

    func wants(_ method: String, params: JSONValue?) -> Bool {
        switch method {
        case "notifications/tools/list_changed": return filter["toolsListChanged"] == true
        case "notifications/prompts/list_changed": return filter["promptsListChanged"] == true
        case "notifications/resources/list_changed": return filter["resourcesListChanged"] == true
        case "notifications/resources/updated":
            guard let uri = params?["uri"] else { return false }
            return filter["resourceSubscriptions"]?.arrayValue?.contains(uri) ?? false
        default: return false
        }
    }
}

/// A modern client's `tools/call` (or `prompts/get`, `resources/read`) on a legacy upstream, which may
/// ask the client things meanwhile: those questions go back as input-required results, and the
/// client's retry carries the answers on to the call still running upstream.
struct BridgedCall {
    /// The client's capabilities on the latest attempt.
    var capabilities: JSONValue
    /// The client's request that started the call (its first attempt).
    var clientID: RequestID?
    var task: Task<Reply, any Error>?
    /// The call as the upstream knows it (for forwarding a cancellation).
    var upstreamID: RequestID?
    var waiter: CheckedContinuation<BridgedCallEvent, Never>?
    var finished: Reply?
    var missingCapability: String?
    /// Questions from the upstream not yet put to the client, and those put and not yet answered.
    var asked: [String: PendingInput] = [:]
    var sent: [String: PendingInput] = [:]
    /// Since when the call has waited for the client's retry with answers; nil while it runs.
    var parkedSince: ContinuousClock.Instant?
    var parked: Bool { parkedSince != nil }
}

struct PendingInput {
    let upstreamRequestID: RequestID
    let request: JSONValue
}

enum BridgedCallEvent {
    case finished(Reply)
    case needsInput
    case missingCapability(String)
}

extension BridgedCall {
    /// What the waiting attempt should hear next, if anything happened.
    var readyEvent: BridgedCallEvent? {
        if let missingCapability { return .missingCapability(missingCapability) }
        if let finished { return .finished(finished) }
        if !asked.isEmpty { return .needsInput }
        return nil
    }
}
