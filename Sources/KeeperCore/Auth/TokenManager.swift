import Foundation
import Logging
import Tracing

/// Keeps one upstream's access token fresh: refreshes before expiry (60 s before, or a tenth of the
/// token's lifetime when that is shorter: `OAuthTokens.refreshMargin`) and once after a 401, one
/// refresh at a time in this process (single flight) and across processes (an exclusive file lock,
/// re-reading the file under it, since a rotated refresh token can be spent only once).
///
/// With an `InteractiveLogin` (`auth.interactive`), it also logs in by itself: when there is no stored
/// login or the refresh token was refused (every request waits for that one login), and when the
/// upstream wants a scope the token lacks (step-up: the stored, configured and challenged scopes).
public actor TokenManager: AuthorizationProvider {
    public let upstream: String
    let store: TokenStore
    let http: OAuthHTTP
    /// The largest refresh margin; short-lived tokens get a tenth of their lifetime instead.
    let skew: Duration
    /// The wall clock expiry is measured against (a fixed one in tests).
    let now: @Sendable () -> Date
    let logger: Logger
    let login: InteractiveLogin?
    let onExpiry: @Sendable (Date?) -> Void
    private var tokens: OAuthTokens?
    private var refreshing: Task<OAuthTokens, any Error>?
    private var loggingIn: Task<OAuthTokens, any Error>?
    /// Whether the login under way replaces a login that cannot be used at all (every request waits
    /// for it), rather than adding a scope (step-up: other requests go on with the current token).
    private var loginIsRequired = false
    /// The last failed login and when it ended: requests in the next `loginRetryPause` get its error
    /// instead of a new login, so one client action (a refused `initialize` and the `server/discover`
    /// probe that follows it, a burst of queued requests) does not open a chain of browser logins.
    private var lastFailure: (error: AuthError, at: ContinuousClock.Instant)?
    static let loginRetryPause: Duration = .seconds(3)

    public init(upstream: String, store: TokenStore, logger: Logger, skew: Duration = .seconds(60),
                login: InteractiveLogin? = nil, now: @escaping @Sendable () -> Date = { Date() },
                onExpiry: @escaping @Sendable (Date?) -> Void = { _ in }) {
        self.upstream = upstream
        self.store = store
        self.http = OAuthHTTP()
        self.skew = skew
        self.now = now
        self.logger = logger
        self.login = login
        self.onExpiry = onExpiry
    }

    public func authorizationHeader() async throws(AuthError) -> String {
        if loggingIn != nil, loginIsRequired {
            return "Bearer \(try await logIn(adding: [], required: true, because: "").accessToken)"
        }
        let current: OAuthTokens
        do throws(AuthError) {
            var loaded = try loadIfNeeded()
            if loaded.needsRefresh(maximumMargin: skew, now: now()) {
                loaded = try await refresh(rejected: loaded.accessToken)
            }
            current = loaded
        } catch {
            current = try await logInInstead(of: error)
        }
        return "Bearer \(current.accessToken)"
    }

    public func rejected(_ header: String) async throws(AuthError) -> Bool {
        let refused = Self.token(in: header)
        let current: OAuthTokens
        do throws(AuthError) {
            current = try loadIfNeeded()
        } catch {
            return try await logInInstead(of: error).accessToken != refused
        }
        // A concurrent request already replaced the refused token: just use the new one.
        if current.accessToken != refused { return true }
        let renewed: OAuthTokens
        if current.refreshToken == nil {
            guard login != nil else { return false }
            renewed = try await logIn(adding: [], required: true, because: "the upstream refused the access token, which cannot be refreshed")
        } else {
            do throws(AuthError) {
                renewed = try await refresh(rejected: refused)
            } catch {
                renewed = try await logInInstead(of: error)
            }
        }
        return renewed.accessToken != refused
    }

    /// Step-up (403 `insufficient_scope`): with an interactive login, log in again for the stored,
    /// configured and challenged scopes; without one, false (the caller reports what to add).
    public func insufficientScope(_ challengedScope: String?, header: String) async throws(AuthError) -> Bool {
        guard login != nil else { return false }
        let refused = Self.token(in: header)
        let needed = InteractiveLogin.scopes(challengedScope)
        let current: OAuthTokens
        do throws(AuthError) {
            current = try loadIfNeeded()
        } catch {
            return try await logInInstead(of: error).accessToken != refused
        }
        // A concurrent request already stepped up (or the token changed and may carry the scope): retry with it.
        if current.accessToken != refused, Self.grants(current, needed) { return true }
        let scope = challengedScope.map { "scope \($0)" } ?? "a scope it did not name"
        let renewed = try await logIn(adding: needed, required: false, because: "the upstream requires \(scope), which the access token lacks")
        return renewed.accessToken != refused
    }

    /// Whether `tokens` carry every scope in `needed` (an unstated grant is given the benefit of the doubt).
    static func grants(_ tokens: OAuthTokens, _ needed: [String]) -> Bool {
        guard let scope = tokens.scope else { return true }
        let granted = Set(InteractiveLogin.scopes(scope))
        return needed.allSatisfy(granted.contains)
    }

    static func token(in header: String) -> String {
        header.hasPrefix("Bearer ") ? String(header.dropFirst(7)) : header
    }

    /// What a missing or expired login turns into: a new login when interactive, else the error itself.
    private func logInInstead(of error: AuthError) async throws(AuthError) -> OAuthTokens {
        guard login != nil else { throw error }
        switch error {
        case .notLoggedIn:
            return try await logIn(adding: [], required: true, because: "no login is stored")
        case .loginExpired:
            return try await logIn(adding: [], required: true, because: "the login has expired or was revoked")
        default:
            throw error
        }
    }

    /// One login at a time: requests during a login share its outcome.
    private func logIn(adding challenged: [String], required: Bool, because reason: String) async throws(AuthError) -> OAuthTokens {
        if let loggingIn {
            do { return try await loggingIn.value } catch { throw Self.authError(error) }
        }
        guard let login else { throw .notLoggedIn(upstream: upstream) }
        if let lastFailure, ContinuousClock.now - lastFailure.at < Self.loginRetryPause { throw lastFailure.error }
        let scopes = InteractiveLogin.union(InteractiveLogin.scopes(tokens?.scope), login.options.scopes, challenged)
        let replaced = tokens?.accessToken
        let task = Task {
            let fresh = try await self.logInAndStore(login, scopes: scopes, challenged: challenged, replacing: replaced, because: reason)
            // Kept before any caller resumes, as in `refresh`.
            self.adopt(fresh)
            return fresh
        }
        loggingIn = task
        loginIsRequired = required
        defer { loggingIn = nil }
        do {
            let fresh = try await task.value
            lastFailure = nil
            return fresh
        } catch {
            let failure = Self.authError(error)
            lastFailure = (failure, ContinuousClock.now)
            logger.error("the login did not complete", metadata: ["upstream": "\(upstream)", "error": "\(failure)"])
            throw failure
        }
    }

    private func logInAndStore(_ login: InteractiveLogin, scopes: [String], challenged: [String], replacing replaced: String?,
                               because reason: String) async throws -> OAuthTokens {
        // Another process (or `mcpkeeper auth login` in a terminal) may have logged in meanwhile.
        if let stored = try store.load(upstream), stored.accessToken != replaced,
           !stored.needsRefresh(maximumMargin: skew, now: now()), Self.grants(stored, challenged) {
            logger.info("using the login another process stored", metadata: ["upstream": "\(upstream)"])
            return stored
        }
        let fresh = try await login.run(scopes: scopes, because: reason, logger: logger)
        try await store.lock(for: upstream).withLock { try store.save(fresh, for: upstream) }
        logger.notice("logged in; tokens stored", metadata: ["upstream": "\(upstream)", "file": "\(store.path(for: upstream))"])
        login.show("mcpkeeper: logged in to '\(upstream)'; tokens stored in \(store.path(for: upstream)) (mode 0600).")
        return fresh
    }

    private func adopt(_ renewed: OAuthTokens) {
        tokens = renewed
        onExpiry(renewed.expiresAt)
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
        let task = Task {
            let renewed = try await withSpan("token refresh", ofKind: .client) { _ in try await self.refreshUnderLock(rejected: rejected) }
            // Kept before any caller resumes: a caller sharing this refresh retries at once, and
            // must send the new token, not the one the upstream just refused.
            self.adopt(renewed)
            return renewed
        }
        refreshing = task
        defer { refreshing = nil }
        do {
            return try await task.value
        } catch {
            throw Self.authError(error)
        }
    }

    private func refreshUnderLock(rejected: String) async throws -> OAuthTokens {
        try await store.lock(for: upstream).withLock {
            // Another process may have refreshed while we waited for the lock: use its tokens.
            guard var current = try store.load(upstream) else { throw AuthError.notLoggedIn(upstream: upstream) }
            if current.accessToken != rejected, !current.needsRefresh(maximumMargin: skew, now: now()) { return current }
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
            try current.apply(tokenResponse: body, now: now())
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
