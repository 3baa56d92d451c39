import Foundation

/// What a session knows of each side's MCP era, and the adapter that follows from it. The client's
/// era is set by its first request; the upstream's is learned once per link, from the first request
/// that needs to know (a legacy `initialize`, a modern client's `server/discover`, or a probe). Each
/// request then meets the upstream through the adapter for its own era and the link's (`EraAdapter`).
final class EraNegotiation {
    enum UpstreamEra {
        case unknown
        case learning([CheckedContinuation<ProtocolEra, Never>])
        case known(ProtocolEra)
    }

    /// Set by the client's first request: `initialize` (legacy) or modern `_meta`.
    private(set) var client: ProtocolEra?
    /// The latest `_meta` of a modern client: the proxy's own requests carry it.
    private(set) var clientMeta: JSONValue?
    /// The version that `_meta` declares, which the proxy's own requests speak with it.
    private var clientVersion: MCPProtocolVersion?
    /// The link these per-link facts describe.
    var linkGeneration = 0
    /// The current link's era, learned once per link.
    var upstream = UpstreamEra.unknown
    /// Once a probe killed the upstream, later links are taken as legacy without probing.
    var probeKillsUpstream = false
    /// What a modern upstream's `server/discover` said of it.
    var modernServer: (capabilities: JSONValue?, serverInfo: JSONValue?) = (nil, nil)

    let legacyPassThrough = LegacyPassThrough()
    let modernPassThrough = ModernPassThrough()
    let legacyClient = LegacyClientBridge()
    let modernClient = ModernClientBridge()

    /// The adapter between a client of `clientEra` and the current link; nil while the link's era is not known.
    func adapter(forClient clientEra: ProtocolEra?) -> (any EraAdapter)? {
        guard case .known(let upstreamEra) = upstream else { return nil }
        return adapter(client: clientEra ?? .legacy, upstream: upstreamEra)
    }

    /// The adapter for what the upstream sends this session's client: the same-era legacy path
    /// until the link's era is known.
    var linkAdapter: any EraAdapter { adapter(forClient: client) ?? legacyPassThrough }

    func adapter(client: ProtocolEra, upstream: ProtocolEra) -> any EraAdapter {
        switch (client, upstream) {
        case (.legacy, .legacy): return legacyPassThrough
        case (.legacy, .modern): return legacyClient
        case (.modern, .legacy): return modernClient
        case (.modern, .modern): return modernPassThrough
        }
    }

    // MARK: the client's side

    /// A client request's era, decided once: `admitted` with the modern version its `_meta`
    /// declares (nil: a legacy request), or `refused` with the answer for a version not spoken here.
    enum Admission {
        case admitted(MCPProtocolVersion?)
        case refused(JSONRPCMessage)
    }

    func admit(_ message: JSONRPCMessage, id: RequestID) -> Admission {
        guard let declared = ModernHTTPHeaders.declaredVersion(of: message) else {
            clientSent(message, version: nil)
            return .admitted(nil)
        }
        guard let version = MCPProtocolVersion(rawValue: declared), version.isModern else { return .refused(Self.unsupportedVersion(declared, id: id)) }
        clientSent(message, version: version)
        return .admitted(version)
    }

    /// An admitted client request: the first one tells the client's era; a modern one's protocol
    /// keys are kept for the proxy's own requests.
    private func clientSent(_ message: JSONRPCMessage, version: MCPProtocolVersion?) {
        guard version != nil else {
            if message.method == "initialize" { client = client ?? .legacy }
            return
        }
        client = client ?? .modern
        clientVersion = version
        guard let meta = message.params?["_meta"]?.objectValue else { return }
        var kept = JSONObject()
        for key in [ModernMeta.protocolVersion, ModernMeta.clientCapabilities, ModernMeta.clientInfo] { kept[key] = meta[key] }
        clientMeta = .object(kept)
    }

    /// A request of the proxy's own, in the client's era: a modern client's protocol keys in its `_meta`.
    func speakingForClient(_ exchange: Exchange) -> Exchange {
        guard client == .modern, let meta = clientMeta?.objectValue else { return exchange }
        var exchange = exchange
        exchange.message = EraTranslation.addingMeta(meta, to: exchange.message)
        exchange.protocolVersion = clientVersion
        return exchange
    }

    /// The client's `notifications/initialized` (a legacy message), through the legacy client's
    /// adapter. Sent before initialize's answer, it waits for the era that answer shows, off the
    /// client reader (which must go on reading pings, cancellations, EOF).
    func clientInitialized(_ message: JSONRPCMessage, session: isolated ProxySession) async {
        guard case .learning = upstream else {
            return await (adapter(forClient: .legacy) ?? legacyPassThrough).clientInitialized(message, session: session)
        }
        Task {
            let eras = session.eras
            if case .learning(let waiters) = eras.upstream {
                _ = await withCheckedContinuation { eras.upstream = .learning(waiters + [$0]) }
            }
            await (eras.adapter(forClient: .legacy) ?? eras.legacyPassThrough).clientInitialized(message, session: session)
        }
    }

    /// Tells the client its tool list changed: a legacy client directly, a modern one on each
    /// bridged subscription that asked for tool list changes.
    func announceToolListChange(session: isolated ProxySession) async {
        let notification = JSONRPCMessage.notification(method: "notifications/tools/list_changed")
        if client == .modern {
            await modernClient.notifySubscribers(notification, session: session)
        } else {
            await session.answerClient(notification)
        }
    }

    /// Shutdown does not wait for subscriptions (they run until cancelled): each ends with the
    /// graceful completion the modern era defines, and its upstream request is cancelled.
    func endSubscriptions(session: isolated ProxySession) async {
        for id in Array(modernClient.subscriptions.keys) { modernClient.endSubscription(id) }
        for (id, request) in session.inFlight where request.isSubscription && modernClient.subscriptions[id] == nil {
            session.inFlight[id] = nil
            request.task.cancel()
            await session.answerClient(.response(id: id, result: ["resultType": "complete", "_meta": [ModernMeta.subscriptionID: id.json]]),
                                       via: request.reply)
        }
        legacyClient.endListen()
    }

    /// A client request declaring a version the proxy cannot speak: the modern era's own error.
    static func unsupportedVersion(_ requested: String, id: RequestID) -> JSONRPCMessage {
        .error(id: id, .unsupportedProtocolVersion(requested: requested, supported: MCPProtocolVersion.allCases.reversed().map(\.rawValue),
                                                   speaker: "mcpkeeper"))
    }
}
