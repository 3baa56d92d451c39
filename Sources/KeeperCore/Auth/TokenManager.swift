import Foundation
import Logging

/// Keeps one upstream's access token fresh: refreshes 60 s before expiry and once after a 401, one
/// refresh at a time in this process (single flight) and across processes (an exclusive file lock,
/// re-reading the file under it, since a rotated refresh token can be spent only once).
public actor TokenManager: AuthorizationProvider {
    public let upstream: String
    let store: TokenStore
    let http: OAuthHTTP
    let skew: Duration
    let logger: Logger
    let onExpiry: @Sendable (Date?) -> Void
    private var tokens: OAuthTokens?
    private var refreshing: Task<OAuthTokens, any Error>?

    public init(upstream: String, store: TokenStore, logger: Logger, skew: Duration = .seconds(60),
                onExpiry: @escaping @Sendable (Date?) -> Void = { _ in }) {
        self.upstream = upstream
        self.store = store
        self.http = OAuthHTTP()
        self.skew = skew
        self.logger = logger
        self.onExpiry = onExpiry
    }

    public func authorizationHeader() async throws(AuthError) -> String {
        var current = try loadIfNeeded()
        if current.expires(within: skew, of: Date()) {
            current = try await refresh(rejected: current.accessToken)
        }
        return "Bearer \(current.accessToken)"
    }

    public func rejected(_ header: String) async throws(AuthError) -> Bool {
        let current = try loadIfNeeded()
        let refused = header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : header
        // A concurrent request already replaced the refused token: just use the new one.
        if current.accessToken != refused { return true }
        guard current.refreshToken != nil else { return false }
        let renewed = try await refresh(rejected: refused)
        return renewed.accessToken != refused
    }

    private func loadIfNeeded() throws(AuthError) -> OAuthTokens {
        if let tokens { return tokens }
        guard let loaded = try store.load(upstream) else { throw .notLoggedIn(upstream: upstream) }
        tokens = loaded
        onExpiry(loaded.expiresAt)
        return loaded
    }

    /// One refresh at a time: callers during a refresh share its outcome.
    private func refresh(rejected: String) async throws(AuthError) -> OAuthTokens {
        if let refreshing {
            do { return try await refreshing.value } catch { throw Self.authError(error) }
        }
        let task = Task { try await self.refreshUnderLock(rejected: rejected) }
        refreshing = task
        defer { refreshing = nil }
        do {
            let renewed = try await task.value
            tokens = renewed
            onExpiry(renewed.expiresAt)
            return renewed
        } catch {
            throw Self.authError(error)
        }
    }

    private func refreshUnderLock(rejected: String) async throws -> OAuthTokens {
        try await store.lock(for: upstream).withLock {
            // Another process may have refreshed while we waited for the lock: use its tokens.
            guard var current = try store.load(upstream) else { throw AuthError.notLoggedIn(upstream: upstream) }
            if current.accessToken != rejected, !current.expires(within: skew, of: Date()) { return current }
            guard let refreshToken = current.refreshToken else { throw AuthError.loginExpired(upstream: upstream) }
            var fields = [("grant_type", "refresh_token"), ("refresh_token", refreshToken), ("client_id", current.clientID)]
            if let resource = current.resource { fields.append(("resource", resource)) }
            if let secret = current.clientSecret { fields.append(("client_secret", secret)) }
            let answer = try await http.postForm(current.tokenEndpoint, fields)
            if answer.status == 400 || answer.status == 401, answer.json?["error"] == "invalid_grant" {
                logger.error("the refresh token was refused; a new login is needed", metadata: ["upstream": "\(upstream)"])
                throw AuthError.loginExpired(upstream: upstream)
            }
            guard answer.status == 200, let body = answer.json else {
                throw AuthError.server("refreshing the token failed (HTTP \(answer.status)): \(OAuthLogin.oauthError(answer))")
            }
            try current.apply(tokenResponse: body, now: Date())
            try store.save(current, for: upstream)
            logger.info("refreshed the access token", metadata: ["upstream": "\(upstream)"])
            return current
        }
    }

    static func authError(_ error: any Error) -> AuthError {
        if let auth = error as? AuthError { return auth }
        if let file = error as? FileAccessError { return .store(path: file.path, reason: file.reason) }
        return .server("\(error)")
    }
}
