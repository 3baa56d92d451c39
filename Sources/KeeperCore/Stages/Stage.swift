/// A client request on its way through the proxy's pipeline.
public struct Exchange: Sendable {
    public var message: JSONRPCMessage
    public var clientID: RequestID
    public var method: String
    /// The tool's name for `tools/call`.
    public var tool: String?
    public var session: String
    public var upstream: String
    public var receivedAt: ContinuousClock.Instant
    /// The version a modern request declares in its `_meta`, read once when the request is decoded;
    /// nil for a legacy request, which speaks the version its session negotiated.
    public var protocolVersion: MCPProtocolVersion?
    /// HTTP headers that came with the request and go on with it to an HTTP upstream (`Mcp-Param-*`).
    public var headers: [String: String] = [:]
    /// The session's shared state: its upstream (for the proxy's own requests) and tool list.
    public var context: SessionContext

    public init(message: JSONRPCMessage, clientID: RequestID, method: String, session: String, upstream: String,
                receivedAt: ContinuousClock.Instant, context: SessionContext, protocolVersion: MCPProtocolVersion? = nil) {
        self.message = message
        self.clientID = clientID
        self.method = method
        self.tool = method == "tools/call" ? message.params?["name"]?.stringValue : nil
        self.session = session
        self.upstream = upstream
        self.receivedAt = receivedAt
        self.context = context
        self.protocolVersion = protocolVersion
    }

    /// The era the request speaks, as its client sent it.
    public var era: ProtocolEra { protocolVersion?.isModern == true ? .modern : .legacy }
}

/// How an exchange ended, with what the stages learned on the way (for the log and metrics).
public struct Reply: Sendable {
    public enum Outcome: Sendable {
        /// The upstream's response (result or error), still addressed with the upstream id.
        case upstream(JSONRPCMessage)
        /// An answer the proxy gives itself: a refusal, or the upstream's failure.
        case proxy(JSONRPCError, outcome: String)
    }

    public var outcome: Outcome
    public var attempts: Int = 1
    public var retryWait: Duration = .zero
    public var httpStatus: Int?
    /// Why the upstream did not take the request, when it did not (the retry policy reads this).
    public var transportError: TransportError?
    public var validationErrors: [String] = []
    /// What Notion made of this attempt (`NotionOutcomeClassifier`), once a stage has asked; the
    /// innermost stage that asks records it so the others do not classify the same answer again.
    public var notion: NotionVerdict?

    public init(_ outcome: Outcome) { self.outcome = outcome }

    public static func refused(_ error: JSONRPCError) -> Reply { Reply(.proxy(error, outcome: "rejected")) }

    /// How the exchange ended, as logs and metrics label it: ok, error (the upstream's JSON-RPC
    /// error), or the proxy's own outcome (rejected, failed).
    public var outcomeLabel: String {
        switch outcome {
        case .upstream(let response):
            if case .errorResponse = response.kind { return "error" }
            return "ok"
        case .proxy(_, let label): return label
        }
    }
}

/// One concern of the proxy's request path, in the shape of Hummingbird's `MiddlewareProtocol`.
///
/// A stage may answer by itself (validation, policy), wait (pacing), call `next` several times (retry)
/// or only observe (logging, metrics):
/// ```swift
/// struct Timing: Stage {
///     func handle(_ exchange: Exchange, next: Next) async throws -> Reply {
///         let start = ContinuousClock.now
///         defer { print(ContinuousClock.now - start) }
///         return try await next(exchange)
///     }
/// }
/// ```
public protocol Stage: Sendable {
    typealias Next = @Sendable (Exchange) async throws -> Reply
    func handle(_ exchange: Exchange, next: Next) async throws -> Reply
    /// Whether the proxy's own requests (its tool list, a replayed `initialize`, a ping) pass through
    /// this stage too: true for what protects the upstream and its rate limit (pacing, retry) or
    /// describes the call to it (the upstream span); false, the default, for what serves the client
    /// (validation, policy, the tool surface, hints, its log and metrics).
    var facesUpstream: Bool { get }
    /// A request of the proxy's own: `handle` when the stage faces the upstream, else straight on.
    func handleOwn(_ exchange: Exchange, next: Next) async throws -> Reply
}

extension Stage {
    public var facesUpstream: Bool { false }

    public func handleOwn(_ exchange: Exchange, next: Next) async throws -> Reply {
        facesUpstream ? try await handle(exchange, next: next) : try await next(exchange)
    }
}

/// The stages in order, built once from the config, ending in the upstream link.
public struct Pipeline: Sendable {
    public let stages: [any Stage]

    public init(_ stages: [any Stage]) { self.stages = stages }

    /// A client's request, through every stage.
    public func run(_ exchange: Exchange, terminal: @escaping Stage.Next) async throws -> Reply {
        try await chain(terminal) { stage, exchange, next in try await stage.handle(exchange, next: next) }(exchange)
    }

    /// A request of the proxy's own, through the stages that face the upstream.
    public func runOwn(_ exchange: Exchange, terminal: @escaping Stage.Next) async throws -> Reply {
        try await chain(terminal) { stage, exchange, next in try await stage.handleOwn(exchange, next: next) }(exchange)
    }

    private func chain(_ terminal: @escaping Stage.Next,
                       _ step: @escaping @Sendable (any Stage, Exchange, Stage.Next) async throws -> Reply) -> Stage.Next {
        var next = terminal
        for stage in stages.reversed() {
            let inner = next
            next = { try await step(stage, $0, inner) }
        }
        return next
    }
}
