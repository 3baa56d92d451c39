import Logging
import Synchronization

/// Repairs what crosses between clients and the upstream's tool schemas: `tools/list` results get
/// `safe` repair (and the `strict` profile's rewrite when asked), and `tools/call` arguments that a
/// client double-encoded as JSON strings are decoded where the tool's schema expects an object or array.
///
/// It sits between the policy and validation stages. Inside it (nearer the upstream) validation sees
/// the upstream's own `tools/list` answer, so the tool catalog caches and validates against the
/// original schemas; outside it policy filters the repaired list, which is what the client sees.
/// On the way in, arguments are repaired before validation judges them and before they are forwarded.
public struct SchemaRepairStage: Stage {
    public let settings: ValidationSettings
    let metrics: KeeperMetrics
    let logger: Logger
    private let versions = RepairedVersions()

    public init(settings: ValidationSettings, metrics: KeeperMetrics, logger: Logger) {
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
    }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        switch exchange.method {
        case "tools/call" where settings.schemaRepair == .safe:
            return try await next(await repairingArguments(exchange))
        case "tools/list":
            var reply = try await next(exchange)
            guard case .upstream(let response) = reply.outcome, case .object(var result) = response.result,
                  let tools = result["tools"]?.arrayValue else { return reply }
            // A list that needs nothing is forwarded as the upstream sent it, byte for byte.
            guard let repaired = rewrite(tools, upstream: exchange.upstream) else { return reply }
            result["tools"] = .array(repaired)
            reply.outcome = .upstream(response.replacingResult(.object(result)))
            return reply
        default:
            return try await next(exchange)
        }
    }

    /// The tool list as the client should see it, or nil when that is the list as it is. Repairs are
    /// logged and counted the first time a version of the list is seen, not on every listing.
    private func rewrite(_ tools: [JSONValue], upstream: String) -> [JSONValue]? {
        if let known = versions.lookup(tools) { return known.rewritten }
        var rewritten = tools
        var changed = false
        if settings.schemaRepair == .safe {
            let (repaired, findings) = SchemaRepair.repair(tools: tools)
            rewritten = repaired
            changed = !findings.isEmpty
            for finding in findings {
                logger.notice("repaired a tool schema", metadata: [
                    "upstream": "\(upstream)", "tool": "\(finding.tool ?? "")", "pointer": "\(finding.pointer)",
                    "kind": "\(finding.kind.rawValue)", "change": "\(finding.repair ?? "")",
                ])
            }
            for (kind, count) in Dictionary(grouping: findings, by: \.kind).mapValues(\.count) {
                metrics.schemaRepairs(upstream: upstream, kind: kind.rawValue, count: count)
            }
        }
        if settings.schemaProfile == .strict {
            rewritten = StrictProfile.rewrite(tools: rewritten)
            changed = true
        }
        let result = changed ? rewritten : nil
        versions.remember(tools, as: result)
        return result
    }

    private func repairingArguments(_ exchange: Exchange) async -> Exchange {
        guard let name = exchange.tool, case .object(var params)? = exchange.message.params,
              let arguments = params["arguments"] else { return exchange }
        try? await exchange.context.tools.refreshIfNeeded(using: exchange.context.upstream)
        guard let schema = exchange.context.tools.tool(named: name)?.definition["inputSchema"] else { return exchange }
        let (repaired, pointers) = ArgumentRepair.repair(arguments, schema: schema)
        guard !pointers.isEmpty else { return exchange }
        // Pointers only: the values are the user's data.
        logger.notice("decoded double-encoded tool arguments", metadata: [
            "upstream": "\(exchange.upstream)", "tool": "\(name)", "pointers": "\(pointers.joined(separator: ", "))",
        ])
        metrics.schemaRepairs(upstream: exchange.upstream, kind: SchemaFinding.Kind.stringifiedArgument.rawValue, count: pointers.count)
        params["arguments"] = repaired
        var changed = exchange
        changed.message = exchange.message.replacingParams(.object(params))
        return changed
    }

}

/// The last few tool-list versions seen and what they became, shared by every session of the
/// upstream: a client that lists tools repeatedly costs one lookup, and each version is logged once.
private final class RepairedVersions: Sendable {
    private static let limit = 8
    /// `rewritten` is nil for a list that needed no change.
    private let state = Mutex<[(original: [JSONValue], rewritten: [JSONValue]?)]>([])

    func lookup(_ tools: [JSONValue]) -> (original: [JSONValue], rewritten: [JSONValue]?)? {
        state.withLock { entries in entries.first(where: { $0.original == tools }) }
    }

    func remember(_ tools: [JSONValue], as rewritten: [JSONValue]?) {
        state.withLock { entries in
            entries.append((tools, rewritten))
            if entries.count > Self.limit { entries.removeFirst() }
        }
    }
}
