/// Supplies the `Authorization` header for an HTTP upstream and reacts when the upstream refuses it.
public protocol AuthorizationProvider: Sendable {
    /// The header value to send, refreshed first if it is about to expire.
    func authorizationHeader() async throws(AuthError) -> String
    /// The upstream refused `header` with 401: true when other credentials are now at hand (fresh, or
    /// already refreshed by a concurrent request) and one more try is worth it.
    func rejected(_ header: String) async throws(AuthError) -> Bool
    /// The upstream refused `header` with 403 `insufficient_scope`, naming `challengedScope` (the
    /// challenge's `scope`, space-separated, if it gave one): true when credentials with that scope are
    /// now at hand (a step-up login, or one a concurrent request just did) and one more try is worth it;
    /// false when nothing can be done here (no interactive login), so the caller reports the error.
    func insufficientScope(_ challengedScope: String?, header: String) async throws(AuthError) -> Bool
}

extension AuthorizationProvider {
    /// Providers that cannot obtain new scopes report the refusal as it is.
    public func insufficientScope(_ challengedScope: String?, header: String) async throws(AuthError) -> Bool { false }
}
