/// Lets a stage ask the upstream something on the proxy's own behalf (its tool list, a ping), under a
/// proxy-assigned id that cannot collide with the client's.
public protocol UpstreamRequester: Sendable {
    func request(_ method: String, params: JSONValue?) async throws -> JSONRPCMessage
}

/// What the stages share about one session: its upstream, its tool list, the negotiated version.
public struct SessionContext: Sendable {
    public let upstream: any UpstreamRequester
    public let tools: ToolCatalog
    public let upstreamName: String

    public init(upstream: any UpstreamRequester, tools: ToolCatalog, upstreamName: String) {
        self.upstream = upstream
        self.tools = tools
        self.upstreamName = upstreamName
    }
}
