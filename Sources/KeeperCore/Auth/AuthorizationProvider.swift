/// Supplies the `Authorization` header for an HTTP upstream and reacts when the upstream refuses it.
public protocol AuthorizationProvider: Sendable {
    /// The header value to send, refreshed first if it is about to expire.
    func authorizationHeader() async throws(AuthError) -> String
    /// The upstream refused `header` with 401: true when other credentials are now at hand (fresh, or
    /// already refreshed by a concurrent request) and one more try is worth it.
    func rejected(_ header: String) async throws(AuthError) -> Bool
}
