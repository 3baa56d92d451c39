import Hummingbird

/// The listener's front door: DNS-rebinding checks on `Host` and `Origin` (403), then the bearer key (401).
///
/// A browser page on any site can make requests to 127.0.0.1; only a `Host` naming this listener and
/// an `Origin` that is absent, loopback or allowed prove the request is not one of those.
struct ListenerGuard<Context: RequestContext>: RouterMiddleware {
    let settings: HTTPListenerSettings
    let boundPort: @Sendable () -> Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let port = boundPort()
        if let host = request.head.authority, !Self.isLocal(authority: host, port: port, bound: settings.host) {
            return HTTPErrorResponse.make(.forbidden, code: JSONRPCError.invalidRequestCode,
                                          "Host \"\(host)\" is not this listener; connect to http://\(settings.host):\(port)")
        }
        if let origin = request.headers[.origin], !isAllowed(origin: origin) {
            return HTTPErrorResponse.make(.forbidden, code: JSONRPCError.invalidRequestCode,
                                          "Origin \"\(origin)\" is not allowed; add it with --allow-origin if this page should reach the proxy")
        }
        if let authorizer = settings.authorizer, request.uri.path == settings.path {
            if let challenge = await authorizer.challenge(forAuthorization: request.headers[.authorization]) {
                let message = challenge.status == .forbidden
                    ? "The access token lacks a required scope: authorize again asking for the scope in WWW-Authenticate"
                    : "Missing, expired or unknown access token: authorize and send Authorization: Bearer <token>"
                var response = HTTPErrorResponse.make(challenge.status, code: JSONRPCError.invalidRequestCode, message)
                response.headers[.wwwAuthenticate] = challenge.wwwAuthenticate
                return response
            }
        } else if let key = settings.bearerKey, request.uri.path == settings.path {
            let presented = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            guard let presented, Self.constantTimeEqual(presented, key) else {
                var response = HTTPErrorResponse.make(.unauthorized, code: JSONRPCError.invalidRequestCode,
                    "Missing or wrong bearer key: send Authorization: Bearer <key>, the key printed when mcpkeeper started (or start it with --no-auth)")
                response.headers[.wwwAuthenticate] = "Bearer realm=\"mcpkeeper\""
                return response
            }
        }
        return try await next(request, context)
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
