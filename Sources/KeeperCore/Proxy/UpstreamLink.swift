/// The proxy's connection to one upstream server.
public protocol UpstreamLink: MessageChannel {
    /// Sends a request with the HTTP headers that go with it, and returns its answer where the
    /// transport carries the two as a pair (a POST answered with JSON); nil: the answer comes on
    /// `inbound`, as every answer does on stdio.
    func exchange(_ request: JSONRPCMessage, headers: [String: String]) async throws(TransportError) -> JSONRPCMessage?
    /// Ends the link gracefully (for a child: EOF, then SIGTERM, then SIGKILL) and says how it ended.
    func shutdown(grace: Duration) async -> String
    /// How the upstream ended, once its output has closed (e.g. "exited with status 1").
    func endDescription() async -> String
    /// Whether requests travel as HTTP requests, whose headers mirror the body (`x-mcp-header`).
    var carriesHeaders: Bool { get }
    /// Whether the way it ended is one no restart can cure (a missing command): asked after it ended.
    func needsAPerson() async -> Bool
    /// The request (by the id it went out under) that a question from the server was asked for, when
    /// the transport says (Streamable HTTP: the stream it came on); nil on stdio, which cannot.
    func relatedRequest(ofServerRequest id: RequestID) -> RequestID?
}

extension UpstreamLink {
    public func exchange(_ request: JSONRPCMessage, headers: [String: String]) async throws(TransportError) -> JSONRPCMessage? {
        try await send(request)
        return nil
    }

    public var carriesHeaders: Bool { false }
    public func relatedRequest(ofServerRequest id: RequestID) -> RequestID? { nil }
    public func needsAPerson() async -> Bool { false }
}

extension ChildProcessChannel: UpstreamLink {
    public func shutdown(grace: Duration) async -> String {
        let status: ChildExit = await shutdown(grace: grace)
        return "stopped by mcpkeeper (\(status))"
    }

    public func endDescription() async -> String {
        // Output closes a moment before the exit is reaped; a short wait gives the real status.
        guard let status = await process.waitForExit(timeout: .seconds(2)) else { return "closed its output but is still running" }
        return closedByUs ? "stopped by mcpkeeper (\(status))" : await failure(status).description
    }

    public func needsAPerson() async -> Bool {
        guard !closedByUs, let status = await process.waitForExit(timeout: .seconds(2)) else { return false }
        return await failure(status).needsAPerson
    }
}
