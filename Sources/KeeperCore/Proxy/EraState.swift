/// What a session knows of each side's MCP era, and of a modern upstream.
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
    /// What a modern upstream's `server/discover` said of it.
    var modernServer = ModernServerFacts()

    mutating func enterLink(_ generation: Int) {
        guard generation > linkGeneration else { return }
        linkGeneration = generation
        // Whoever waited on the old link learns nothing from it; they see the link was replaced.
        if case .learning(let waiters) = upstream { waiters.forEach { $0.resume(returning: .legacy) } }
        upstream = .unknown
    }
}

enum UpstreamEraKnowledge {
    case unknown
    case learning([CheckedContinuation<ProtocolEra, Never>])
    case known(ProtocolEra)
}

struct ModernServerFacts {
    var capabilities: JSONValue?
    /// The upstream's identity, for results that leave it out.
    var serverInfo: JSONValue?
}
