import Hummingbird

/// The listener's front door, in front of every route: DNS-rebinding checks on `Host` and `Origin`
/// (403), then credentials (401/403) on every path but the declared public ones, then the endpoint
/// path compared exactly as received (404), so `/mcp/`, `//mcp`, `/MCP` or `/%6Dcp` reach nothing.
///
/// A browser page on any site can make requests to 127.0.0.1; only a `Host` naming this listener and
/// an `Origin` that is absent, loopback or allowed prove the request is not one of those.
struct ListenerGuard<Inner: HTTPResponder>: HTTPResponder {
    typealias Context = Inner.Context
    let settings: HTTPListenerSettings
    let boundPort: @Sendable () -> Int
    let inner: Inner

    func respond(to request: Request, context: Context) async throws -> Response {
        let port = boundPort()
        if let host = request.head.authority, !Self.isLocal(authority: host, port: port, bound: settings.host) {
            return HTTPErrorResponse.make(.forbidden, code: JSONRPCError.invalidRequestCode,
                                          "Host \"\(host)\" is not this listener; connect to http://\(settings.host):\(port)")
        }
        if let origin = request.headers[.origin], !isAllowed(origin: origin) {
            return HTTPErrorResponse.make(.forbidden, code: JSONRPCError.invalidRequestCode,
                                          "Origin \"\(origin)\" is not allowed; add it with --allow-origin if this page should reach the proxy")
        }
        let path = Self.rawPath(of: request)
        let isPublic = settings.publicPaths.contains(path)
        if !isPublic, let refusal = await authenticate(request) { return refusal }
        guard isPublic || path == settings.path else {
            return HTTPErrorResponse.make(.notFound, code: JSONRPCError.invalidRequestCode,
                                          "Nothing is served at this path; the MCP endpoint is \(settings.path)")
        }
        return try await inner.respond(to: request, context: context)
    }

    private func authenticate(_ request: Request) async -> Response? {
        if let authorizer = settings.authorizer {
            guard let challenge = await authorizer.challenge(forAuthorization: request.headers[.authorization]) else { return nil }
            let message = challenge.status == .forbidden
                ? "The access token lacks a required scope: authorize again asking for the scope in WWW-Authenticate"
                : "Missing, expired or unknown access token: authorize and send Authorization: Bearer <token>"
            var response = HTTPErrorResponse.make(challenge.status, code: JSONRPCError.invalidRequestCode, message)
            response.headers[.wwwAuthenticate] = challenge.wwwAuthenticate
            return response
        }
        guard let key = settings.bearerKey else { return nil }
        let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
        if let presented, Self.constantTimeEqual(presented, key) { return nil }
        var response = HTTPErrorResponse.make(.unauthorized, code: JSONRPCError.invalidRequestCode,
            "Missing or wrong bearer key: send Authorization: Bearer <key>, the key printed when mcpkeeper started (or start it with --no-auth)")
        response.headers[.wwwAuthenticate] = "Bearer realm=\"mcpkeeper\""
        return response
    }

    /// The path exactly as the client sent it, without the query: no decoding, no merging of slashes.
    static func rawPath(of request: Request) -> String {
        let target = request.head.path ?? ""
        return String(target.prefix { $0 != "?" })
    }

    static func isLocal(authority: String, port: Int, bound: String) -> Bool {
        let names = Set(["127.0.0.1", "localhost", "[::1]", bound.contains(":") ? "[\(bound)]" : bound])
        return names.contains { authority == "\($0):\(port)" }
    }

    func isAllowed(origin: String) -> Bool {
        if settings.allowedOrigins.contains(origin) { return true }
        for prefix in ["http://127.0.0.1", "http://localhost", "http://[::1]", "https://127.0.0.1", "https://localhost"] {
            if origin == prefix || origin.hasPrefix(prefix + ":") { return true }
        }
        return false
    }

    /// Compares without stopping at the first difference, so timing does not reveal the key.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
