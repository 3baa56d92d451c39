/// `x-mcp-header` on an HTTP upstream, where mcpkeeper is the client the specification holds to it.
extension ModernPassThrough {
    /// A `tools/call`'s headers with the `Mcp-Param-*` ones its tool's schema asks for (these win
    /// over same-named headers a client sent, since the body is what the server acts on).
    func headerParameters(of exchange: Exchange, session: isolated ProxySession) async -> [String: String] {
        guard let name = exchange.tool else { return exchange.headers }
        let tools = session.tools
        if tools.tool(named: name) == nil { try? await tools.refreshIfNeeded(using: session) }
        guard case .success(let parameters) = HeaderParameters.of(tools.tool(named: name)?.definition["inputSchema"]),
              !parameters.parameters.isEmpty else { return exchange.headers }
        var headers = exchange.headers
        for (header, value) in parameters.headers(for: exchange.message.params?["arguments"]) {
            headers = headers.filter { $0.key.lowercased() != header.lowercased() }
            headers[header] = value
        }
        return headers
    }

    /// A `tools/list` result without the tools whose `x-mcp-header` annotations break the rules: an
    /// HTTP client must leave them out (one bad definition does not cost the others).
    func withoutUnusableTools(_ response: JSONRPCMessage, session: isolated ProxySession) -> JSONRPCMessage {
        guard var result = response.result?.objectValue, let listed = result["tools"]?.arrayValue else { return response }
        let kept = listed.filter { tool in
            guard case .failure(let problem) = HeaderParameters.of(tool["inputSchema"]) else { return true }
            session.logger.warning("left out a tool whose definition an HTTP client must reject",
                                   metadata: ["upstream": "\(session.settings.upstreamName)", "tool": "\(tool["name"] ?? .null)", "reason": "\(problem.reason)"])
            return false
        }
        guard kept.count != listed.count else { return response }
        result["tools"] = .array(kept)
        return response.replacingResult(.object(result))
    }
}
