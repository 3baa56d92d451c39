import Logging

/// Applies the tool policy: hidden tools disappear from `tools/list`, and calling one is refused with
/// the rule that blocks it, before anything reaches the upstream. It sees the upstream's own tool
/// names (`ToolSurfaceStage` maps renames outside it) and judges a tool's tier by the annotations the
/// config sets for it (`tools.overrides.NAME.annotations`), if any.
public struct PolicyStage: Stage {
    public let policy: ToolPolicy
    let tools: ToolSettings
    let metrics: KeeperMetrics
    let logger: Logger

    public init(policy: ToolPolicy, tools: ToolSettings = ToolSettings(), metrics: KeeperMetrics, logger: Logger) {
        self.policy = policy
        self.tools = tools
        self.metrics = metrics
        self.logger = logger
    }

    private func refusal(for name: String, annotations: JSONValue?) -> String? {
        policy.refusal(for: name, annotations: annotations, configured: tools.annotations(of: name))
    }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        switch exchange.method {
        case "tools/call":
            guard let name = exchange.tool else { return try await next(exchange) }
            try? await exchange.context.tools.refreshIfNeeded(using: exchange.context.upstream)
            let annotations = exchange.context.tools.tool(named: name)?.annotations
            if let refusal = refusal(for: name, annotations: annotations) {
                metrics.policyDenied(upstream: exchange.upstream, tool: name)
                logger.notice("tool call blocked by policy", metadata: ["tool": "\(name)", "upstream": "\(exchange.upstream)"])
                return .refused(JSONRPCError(code: JSONRPCError.invalidParamsCode, message: "Blocked by mcpkeeper's tool policy: \(refusal).",
                                             data: ["policy": ["tier": .string(policy.settings.tier.rawValue)], "tool": .string(name)]))
            }
            return try await next(exchange)
        case "tools/list":
            var reply = try await next(exchange)
            guard case .upstream(let response) = reply.outcome, case .object(var result) = response.result,
                  let tools = result["tools"]?.arrayValue else { return reply }
            let visible = tools.filter { tool in
                guard let name = tool["name"]?.stringValue else { return true }
                return refusal(for: name, annotations: tool["annotations"]) == nil
            }
            guard visible.count != tools.count else { return reply }
            result["tools"] = .array(visible)
            reply.outcome = .upstream(response.replacingResult(.object(result)))
            return reply
        default:
            return try await next(exchange)
        }
    }
}
