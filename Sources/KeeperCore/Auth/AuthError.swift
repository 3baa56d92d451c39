/// Why authorization failed, with what to do. Never carries a token, code or secret.
public enum AuthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No tokens stored for the upstream.
    case notLoggedIn(upstream: String)
    /// The refresh token was refused (`invalid_grant`): only a new login helps.
    case loginExpired(upstream: String)
    /// The token file cannot be used as it is.
    case store(path: String, reason: String)
    /// The authorization server answered with something unusable.
    case server(String)
    /// The user or browser step went wrong (state mismatch, denied, timed out).
    case login(String)
    /// The login `serve` started by itself (`auth.interactive`) did not complete; `reason` is the
    /// failure's own description.
    case interactiveLoginFailed(upstream: String, reason: String)

    public var description: String {
        switch self {
        case .notLoggedIn(let upstream):
            return "not logged in to '\(upstream)': run mcpkeeper auth login --upstream \(upstream)"
        case .loginExpired(let upstream):
            return "the login for '\(upstream)' has expired or was revoked: log in again: mcpkeeper auth login --upstream \(upstream)"
        case .store(let path, let reason): return "token file \(path): \(reason)"
        case .server(let reason): return "authorization server: \(reason)"
        case .login(let reason): return "login failed: \(reason)"
        case .interactiveLoginFailed(let upstream, let reason):
            return "the browser login for '\(upstream)' did not complete (\(reason)): open the URL mcpkeeper printed on stderr "
                + "and approve within auth.login_timeout, or log in from a terminal: mcpkeeper auth login --upstream \(upstream)"
        }
    }
}
