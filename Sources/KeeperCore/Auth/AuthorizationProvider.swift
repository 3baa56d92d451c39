/// Supplies the `Authorization` header for an HTTP upstream and reacts when the upstream refuses it.
public protocol AuthorizationProvider: Sendable {
    /// The header value to send, refreshed first if it is about to expire.
    func authorizationHeader() async throws(AuthError) -> String
    /// The upstream answered 401: true when new credentials were obtained and one more try is worth it.
    func rejected() async throws(AuthError) -> Bool
}
