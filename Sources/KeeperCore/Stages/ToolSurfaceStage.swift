import Logging
import Synchronization

/// Shapes the tool surface the client sees: the config's overrides (rename, description, hide,
/// fixed arguments, annotations; `ToolOverrides`) and the quarantine of changed tools
/// (`ToolQuarantine`). It sits outside policy and validation, which see the upstream's own names,
/// definitions and arguments (a call is checked against the original schema, fixed arguments
/// included); what they answer is renamed back, so errors name the tool as the client knows it.
public struct ToolSurfaceStage: Stage {
    let overrides: ToolOverrides
    let quarantine: ToolQuarantine?
    let upstream: String
    /// The options that name this upstream to `mcpkeeper tools`, e.g. `--config F --upstream U`.
    let toolsOptions: String
    let metrics: KeeperMetrics
    let logger: Logger
    private let reported = ReportedProblems()

    public init(settings: ToolSettings, quarantine: ToolQuarantine?, upstream: String, toolsOptions: String,
                metrics: KeeperMetrics, logger: Logger) {
        overrides = ToolOverrides(settings: settings)
        self.quarantine = quarantine
        self.upstream = upstream
        self.toolsOptions = toolsOptions
        self.metrics = metrics
        self.logger = logger
    }

    public func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
        switch exchange.method {
        case "tools/call": return try await call(exchange, next: next)
        case "tools/list": return try await list(exchange, next: next)
        default: return try await next(exchange)
        }
    }

    private func call(_ exchange: Exchange, next: Next) async throws -> Reply {
        guard let clientName = exchange.tool else { return try await next(exchange) }
        let catalog = exchange.context.tools
        try? await catalog.refreshIfNeeded(using: exchange.context.upstream)
        let listed: (String) -> Bool = { catalog.tool(named: $0) != nil }
        var forwarded = exchange
        switch overrides.route(clientName: clientName, upstreamHas: listed) {
        case .refused(let why):
            return refuse("Tool call refused: \(why).", tool: clientName, outcome: "not_sent")
        case .upstream(let name, let override):
            if name != clientName || !(override?.arguments.isEmpty ?? true) {
                switch ToolOverrides.upstreamParams(exchange.message.params, name: name, override: override,
                                                    overridePath: overrides.settings.path(of: name)) {
                case .failure(let refusal): return refuse("Tool call refused: \(refusal.message).", tool: clientName, outcome: "not_sent")
                case .success(let params):
                    forwarded.message = exchange.message.replacingParams(params)
                    forwarded.tool = name
                }
            }
        }
        let name = forwarded.tool ?? clientName
        if let quarantine, let definition = catalog.tool(named: name)?.definition, let hold = quarantine.hold(for: definition) {
            logger.warning("call of a quarantined tool refused", metadata: ["tool": "\(name)", "upstream": "\(upstream)", "reason": "\(hold.reason)"])
            return Self.renamed(refusal(for: hold), from: name, to: clientName)
        }
        let reply = try await next(forwarded)
        return name == clientName ? reply : Self.renamed(reply, from: name, to: clientName)
    }

    private func list(_ exchange: Exchange, next: Next) async throws -> Reply {
        var reply = try await next(exchange)
        guard !overrides.isEmpty || quarantine != nil, case .upstream(let response) = reply.outcome,
              case .object(var result) = response.result, let tools = result["tools"]?.arrayValue else { return reply }
        let catalog = exchange.context.tools
        var shown = tools
        if let quarantine {
            // Trust on first use needs the whole list, not one page of it.
            try? await catalog.refreshIfNeeded(using: exchange.context.upstream)
            let all = catalog.isComplete ? Array(catalog.fingerprint) : []
            let (holds, firstUse) = quarantine.screen(page: tools, all: all, session: exchange.session,
                                                      firstPage: exchange.message.params?["cursor"] == nil)
            if firstUse {
                logger.notice("trust on first use: approved the tools listed now; changed tools will be held back until approved",
                              metadata: ["upstream": "\(upstream)", "tools": "\(max(all.count, tools.count))", "store": "\(quarantine.store.path)"])
            }
            for hold in holds where reported.first("hold \(hold.tool) \(hold.sha256)") {
                logger.warning("tool held back until approved", metadata: [
                    "tool": "\(hold.tool)", "upstream": "\(upstream)", "reason": "\(hold.reason)", "approve": "mcpkeeper tools approve \(toolsOptions) \(hold.tool)"])
            }
            metrics.toolsQuarantined(upstream: upstream, holds.count)
            let held = Set(holds.map(\.tool))
            shown = shown.filter { !held.contains($0["name"]?.stringValue ?? "") }
        }
        if !overrides.isEmpty {
            let page = Set(tools.compactMap { $0["name"]?.stringValue })
            let listed: (String) -> Bool = { page.contains($0) || catalog.tool(named: $0) != nil }
            shown = shown.compactMap { overrides.present($0, upstreamHas: listed) }
            if catalog.isComplete { report(overrides.problems(listed: Set(catalog.fingerprint.compactMap { $0["name"]?.stringValue }))) }
        }
        guard shown != tools else { return reply }
        result["tools"] = .array(shown)
        reply.outcome = .upstream(response.replacingResult(.object(result)))
        return reply
    }

    /// Problems only the tool list shows, each logged once per process.
    private func report(_ problems: [ConfigProblem]) {
        for problem in problems where reported.first(problem.description) {
            logger.warning("tool override problem", metadata: ["path": "\(problem.path)", "problem": "\(problem.message)", "upstream": "\(upstream)"])
        }
    }

    private func refuse(_ message: String, tool: String, outcome: String) -> Reply {
        logger.notice("tool call refused by an override", metadata: ["tool": "\(tool)", "upstream": "\(upstream)"])
        return .refused(JSONRPCError(code: JSONRPCError.invalidParamsCode, message: message,
                                     data: ["tool": .string(tool), "outcome": .string(outcome)]))
    }

    func refusal(for hold: ToolQuarantine.Hold) -> Reply {
        .refused(JSONRPCError(
            code: JSONRPCError.invalidParamsCode,
            message: "Tool \"\(hold.tool)\" is quarantined by mcpkeeper: \(hold.reason). The call was not sent. Review the change with `mcpkeeper tools diff \(toolsOptions)` and approve it with `mcpkeeper tools approve \(toolsOptions) \(hold.tool)`.",
            data: ["tool": .string(hold.tool), "outcome": "not_sent",
                   "quarantine": ["reason": .string(hold.changed.isEmpty ? "new" : "changed"),
                                  "changed": .array(hold.changed.map(JSONValue.string)), "diff": .string(hold.diff)]]))
    }

    /// The reply with the upstream's tool name replaced by the client's in errors: where it is quoted
    /// in the message, and as `data.tool`.
    static func renamed(_ reply: Reply, from original: String, to client: String) -> Reply {
        var reply = reply
        func rename(_ error: JSONRPCError) -> JSONRPCError {
            var error = error
            error.message = error.message.replacingOccurrences(of: "\"\(original)\"", with: "\"\(client)\"")
            if case .object(var data)? = error.data, data["tool"] == .string(original) {
                data["tool"] = .string(client)
                error.data = .object(data)
            }
            return error
        }
        switch reply.outcome {
        case .proxy(let error, let outcome): reply.outcome = .proxy(rename(error), outcome: outcome)
        case .upstream(let response):
            if case .errorResponse(let id, let error) = response.kind { reply.outcome = .upstream(.error(id: id, rename(error))) }
        }
        return reply
    }
}

/// What a stage has logged already, so a problem that every list shows is logged once.
final class ReportedProblems: Sendable {
    private let seen = Mutex(Set<String>())

    /// True the first time `key` is seen.
    func first(_ key: String) -> Bool { seen.withLock { $0.insert(key).inserted } }
}
