import Foundation

extension Doctor {
    /// Each OAuth upstream's stored login: there is one, its file can be used (not corrupt, not open
    /// to other users, decryptable), and what it grants: scopes, expiry, whether it can be refreshed.
    static func loginFindings(_ upstreams: [(name: String, upstream: UpstreamConfig)], store: Result<TokenStore, AuthError>,
                              configPath: String, now: Date) -> [DoctorFinding] {
        let oauth = upstreams.filter { if case .oauth = $0.upstream.auth { return true } else { return false } }
        return oauth.map { name, upstream in
            let check = "upstream \(name) login"
            let login = "mcpkeeper auth login --config \(configPath) --upstream \(name)"
            let tokens: OAuthTokens?
            do throws(AuthError) {
                tokens = try store.get().load(name)
            } catch {
                return DoctorFinding(.fail, check, "the stored login cannot be used: \(error)", fix: Self.storeFix(error, login: login))
            }
            guard let tokens else {
                if upstream.login.enabled {
                    return DoctorFinding(.warn, check, "not logged in; serve will open the browser login on the first request (auth.interactive)",
                                         fix: "log in now from a terminal: \(login)")
                }
                return DoctorFinding(.fail, check, "not logged in, so every request to it fails", fix: login)
            }
            return Self.loginFinding(tokens, check: check, login: login, now: now)
        }
    }

    static func loginFinding(_ tokens: OAuthTokens, check: String, login: String, now: Date) -> DoctorFinding {
        let scopes = "scopes: \(tokens.scope ?? "(none stated)")"
        guard let expiresAt = tokens.expiresAt else {
            return DoctorFinding(.ok, check, "logged in; \(scopes); the access token states no expiry")
        }
        let when = expiresAt.formatted(Date.ISO8601FormatStyle())
        if expiresAt > now {
            let refresh = tokens.refreshToken == nil ? "it cannot be refreshed, so log in again then" : "refreshed automatically before then"
            return DoctorFinding(.ok, check, "logged in; \(scopes); the access token expires \(when) (\(refresh))")
        }
        guard tokens.refreshToken != nil else {
            return DoctorFinding(.fail, check, "the access token expired \(when) and there is no refresh token", fix: login)
        }
        return DoctorFinding(.ok, check, "logged in; \(scopes); the access token expired \(when) and is refreshed on the next request")
    }

    /// The fix for a token file that cannot be used: its own advice (chmod, key) is in the message,
    /// so the fix line names the command that always works.
    static func storeFix(_ error: AuthError, login: String) -> String {
        if case .store(let path, let reason) = error, reason.contains("other users can read it") { return "chmod 600 \(path)" }
        return "move the file away, then: \(login)"
    }
}
