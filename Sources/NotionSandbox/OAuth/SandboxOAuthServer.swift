import Foundation
import KeeperCore

/// The sandbox's authorization server, in memory: registered clients, authorization codes and tokens.
///
/// Tokens belong to a family, one per login (authorization code). A refresh rotates the refresh token;
/// presenting a rotated one again, or redeeming a code twice, revokes the whole family, as real servers
/// do when a token may have been stolen. Tokens are random and never logged.
public actor SandboxOAuthServer {
    public let options: SandboxOAuthOptions
    private var clients: [String: Client] = [:]
    private var codes: [String: Code] = [:]
    private var accessTokens: [String: AccessToken] = [:]
    private var refreshTokens: [String: RefreshToken] = [:]
    private var stats = Stats()

    struct Client {
        let redirectURIs: [String]
        let grantTypes: [String]
    }

    struct Code {
        let clientID: String
        let redirectURI: String
        let redirectURIGiven: Bool
        let challenge: String
        let scopes: [String]
        let resource: String?
        let expires: ContinuousClock.Instant
        /// Set once redeemed, so a second redemption can revoke what the first one issued.
        var family: String?
    }

    struct AccessToken {
        let clientID: String
        let scopes: [String]
        let expires: ContinuousClock.Instant
        let family: String
    }

    struct RefreshToken {
        let clientID: String
        let scopes: [String]
        let resource: String?
        let expires: ContinuousClock.Instant
        let family: String
        /// Rotated: kept until it expires, to recognise its reuse.
        var used = false
    }

    struct Stats {
        var codesIssued = 0, tokensIssued = 0, refreshes = 0, invalidGrants = 0, revocations = 0
    }

    /// How the MCP endpoint judges a presented access token.
    public enum AccessCheck: Sendable, Equatable {
        case allowed
        case missing
        case invalid(reason: String)
        /// Valid, but without every required scope; `granted` is what it has.
        case insufficientScope(granted: [String])
    }

    /// What `/authorize` answers: a redirect to the client (with a code or an error), or a refusal
    /// when the redirect URI cannot be trusted.
    enum AuthorizationOutcome: Sendable, Equatable {
        case redirect(String)
        case refuse(String)
    }

    public static let grantTypes = ["authorization_code", "refresh_token"]

    public init(options: SandboxOAuthOptions) {
        self.options = options
    }

    // MARK: Registration (RFC 7591)

    /// Registers a public client from its metadata; the registration response's fields.
    func register(_ metadata: JSONValue) throws(SandboxOAuthError) -> JSONObject {
        guard metadata.objectValue != nil else {
            throw .invalidClientMetadata("The body must be a JSON object of client metadata (RFC 7591)")
        }
        guard let uris = metadata["redirect_uris"]?.arrayValue, !uris.isEmpty else {
            throw .invalidRedirectURI("redirect_uris must be a non-empty array of loopback http URIs")
        }
        var redirectURIs: [String] = []
        for uri in uris {
            guard let text = uri.stringValue, Self.isLoopbackHTTP(text) else {
                throw .invalidRedirectURI("\(uri) is not accepted: only loopback http redirect URIs such as http://127.0.0.1:PORT/callback are")
            }
            redirectURIs.append(text)
        }
        var grantTypes = Self.grantTypes
        if let requested = metadata["grant_types"] {
            let names = requested.arrayValue?.compactMap(\.stringValue) ?? []
            guard !names.isEmpty, names.count == requested.arrayValue?.count, names.allSatisfy(Self.grantTypes.contains) else {
                throw .invalidClientMetadata("grant_types must list only authorization_code and refresh_token")
            }
            grantTypes = names
        }
        if let responseTypes = metadata["response_types"], responseTypes != ["code"] {
            throw .invalidClientMetadata("response_types must be [\"code\"]")
        }
        if let method = metadata["token_endpoint_auth_method"], method != "none" {
            throw .invalidClientMetadata("token_endpoint_auth_method must be \"none\": this server registers public clients, which use PKCE")
        }
        let clientID = Base64URL.random(bytes: 16)
        clients[clientID] = Client(redirectURIs: redirectURIs, grantTypes: grantTypes)
        var response: JSONObject = [
            "client_id": .string(clientID),
            "client_id_issued_at": .number(JSONNumber(Int(Date().timeIntervalSince1970))),
            "redirect_uris": .array(redirectURIs.map(JSONValue.string)),
            "grant_types": .array(grantTypes.map(JSONValue.string)),
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        ]
        if let name = metadata["client_name"]?.stringValue { response["client_name"] = .string(name) }
        return response
    }

    /// `http://` on 127.0.0.1, localhost or [::1], any port, without user info or fragment.
    static func isLoopbackHTTP(_ uri: String) -> Bool {
        guard uri.lowercased().hasPrefix("http://"), !uri.contains("#") else { return false }
        let rest = uri.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        guard !authority.contains("@") else { return false }
        for host in ["127.0.0.1", "localhost", "[::1]"] {
            let lowered = authority.lowercased()
            if lowered == host { return true }
            if lowered.hasPrefix(host + ":") {
                let port = lowered.dropFirst(host.count + 1)
                return !port.isEmpty && port.allSatisfy(\.isASCII) && port.allSatisfy(\.isNumber)
            }
        }
        return false
    }

    // MARK: Authorization (RFC 6749 §4.1.1, RFC 7636, RFC 8707)

    /// Checks an authorization request and, this being a test server, approves it at once.
    /// `resources` are the spellings of this server's resource URL a client may send.
    func authorize(_ query: [String: String], resources: Set<String>) -> AuthorizationOutcome {
        guard let clientID = query["client_id"], !clientID.isEmpty else {
            return .refuse("client_id is missing: register a client at /register first")
        }
        guard let client = clients[clientID] else {
            return .refuse("client_id \"\(clientID)\" is not registered here (the sandbox forgets clients when it restarts): register again at /register")
        }
        let redirectURI: String
        if let given = query["redirect_uri"] {
            guard client.redirectURIs.contains(given) else {
                return .refuse("redirect_uri \"\(given)\" is not one this client registered")
            }
            redirectURI = given
        } else if client.redirectURIs.count == 1 {
            redirectURI = client.redirectURIs[0]
        } else {
            return .refuse("redirect_uri is missing, and the client registered several")
        }
        func fail(_ error: SandboxOAuthError) -> AuthorizationOutcome {
            var fields = [("error", error.code), ("error_description", error.description)]
            if let state = query["state"] { fields.append(("state", state)) }
            return .redirect(FormEncoding.appending(fields, to: redirectURI))
        }
        guard let responseType = query["response_type"] else { return fail(.invalidRequest("response_type is missing")) }
        guard responseType == "code" else {
            return fail(.unsupportedResponseType("response_type must be code"))
        }
        guard let challenge = query["code_challenge"], !challenge.isEmpty else {
            return fail(.invalidRequest("code_challenge is required: this server requires PKCE"))
        }
        guard query["code_challenge_method"] == "S256" else {
            return fail(.invalidRequest("code_challenge_method must be S256"))
        }
        guard challenge.count == 43 else {
            return fail(.invalidRequest("code_challenge must be the base64url SHA-256 of the verifier, 43 characters"))
        }
        let resource = query["resource"]
        if let resource, !Self.matches(resource, resources) {
            return fail(.invalidTarget("resource \"\(resource)\" is not this server's; use \(resources.sorted().first ?? "")"))
        }
        let scopes: [String]
        switch grantedScopes(query["scope"], allowed: options.scopesSupported) {
        case .success(let granted): scopes = granted
        case .failure(let error): return fail(error)
        }
        pruneIfLarge()
        let code = Base64URL.random(bytes: 32)
        codes[code] = Code(clientID: clientID, redirectURI: redirectURI, redirectURIGiven: query["redirect_uri"] != nil,
                           challenge: challenge, scopes: scopes, resource: resource,
                           expires: .now + options.codeLifetime)
        stats.codesIssued += 1
        var fields = [("code", code)]
        if let state = query["state"] { fields.append(("state", state)) }
        return .redirect(FormEncoding.appending(fields, to: redirectURI))
    }

    /// The requested scopes (all supported ones when none are asked for), or invalid_scope.
    private func grantedScopes(_ text: String?, allowed: [String]) -> Result<[String], SandboxOAuthError> {
        guard let text else { return .success(allowed) }
        var scopes: [String] = []
        for scope in text.split(separator: " ").map(String.init) where !scopes.contains(scope) {
            guard allowed.contains(scope) else {
                return .failure(.invalidScope("scope \"\(scope)\" is unknown; this server offers \(allowed.joined(separator: " "))"))
            }
            scopes.append(scope)
        }
        return scopes.isEmpty ? .success(allowed) : .success(scopes)
    }

    static func matches(_ resource: String, _ resources: Set<String>) -> Bool {
        let trimmed = resource.hasSuffix("/") ? String(resource.dropLast()) : resource
        return resources.contains(trimmed)
    }

    // MARK: Token endpoint (RFC 6749 §4.1.3, §6)

    /// Answers a token request: the token response's fields, or the error to send.
    func token(_ form: [String: String], resources: Set<String>) throws(SandboxOAuthError) -> JSONObject {
        do throws(SandboxOAuthError) {
            switch form["grant_type"] {
            case "authorization_code": return try redeem(form, resources: resources)
            case "refresh_token": return try refresh(form, resources: resources)
            case nil: throw SandboxOAuthError.invalidRequest("grant_type is missing")
            case let other?: throw SandboxOAuthError.unsupportedGrantType("grant_type \"\(other)\" is not supported; use authorization_code or refresh_token")
            }
        } catch {
            if error.code == "invalid_grant" { stats.invalidGrants += 1 }
            throw error
        }
    }

    private func redeem(_ form: [String: String], resources: Set<String>) throws(SandboxOAuthError) -> JSONObject {
        guard let text = form["code"], !text.isEmpty else { throw .invalidRequest("code is missing") }
        guard let clientID = form["client_id"], !clientID.isEmpty else { throw .invalidRequest("client_id is missing") }
        guard let verifier = form["code_verifier"], !verifier.isEmpty else {
            throw .invalidRequest("code_verifier is missing: this server requires PKCE")
        }
        guard clients[clientID] != nil else { throw .invalidClient("client_id \"\(clientID)\" is not registered here") }
        guard let code = codes[text] else { throw .invalidGrant("The authorization code is unknown, expired or already used") }
        if let family = code.family {
            revokeFamily(family)
            throw .invalidGrant("The authorization code was already used; the tokens issued for it are now revoked")
        }
        // Any failed attempt spends the code: a wrong verifier must not be retried until one fits.
        codes[text] = nil
        guard ContinuousClock.now < code.expires else { throw .invalidGrant("The authorization code expired; authorize again") }
        guard code.clientID == clientID else { throw .invalidGrant("The authorization code was issued to another client") }
        if let redirect = form["redirect_uri"] {
            guard redirect == code.redirectURI else { throw .invalidGrant("redirect_uri does not match the one of the authorization request") }
        } else if code.redirectURIGiven {
            throw .invalidGrant("redirect_uri is missing; send the one of the authorization request")
        }
        guard PKCE.challenge(for: verifier) == code.challenge else {
            throw .invalidGrant("code_verifier does not match the code_challenge of the authorization request")
        }
        let resource = try checkedResource(form["resource"], bound: code.resource, resources: resources)
        let family = Base64URL.random(bytes: 12)
        var spent = code
        spent.family = family
        codes[text] = spent
        return issue(clientID: clientID, scopes: code.scopes, resource: resource, family: family)
    }

    private func refresh(_ form: [String: String], resources: Set<String>) throws(SandboxOAuthError) -> JSONObject {
        guard let text = form["refresh_token"], !text.isEmpty else { throw .invalidRequest("refresh_token is missing") }
        guard var token = refreshTokens[text] else { throw .invalidGrant("The refresh token is unknown or revoked; authorize again") }
        if token.used {
            revokeFamily(token.family)
            throw .invalidGrant("The refresh token was already used (it was rotated); every token of this login is now revoked: authorize again")
        }
        guard ContinuousClock.now < token.expires else {
            refreshTokens[text] = nil
            throw .invalidGrant("The refresh token expired; authorize again")
        }
        if let clientID = form["client_id"], clientID != token.clientID {
            throw .invalidGrant("The refresh token was issued to another client")
        }
        var scopes = token.scopes
        if let requested = form["scope"] {
            switch grantedScopes(requested, allowed: token.scopes) {
            case .success(let narrowed): scopes = narrowed
            case .failure: throw .invalidScope("scope may only narrow the original grant (\(token.scopes.joined(separator: " ")))")
            }
        }
        let resource = try checkedResource(form["resource"], bound: token.resource, resources: resources)
        token.used = true
        refreshTokens[text] = token
        stats.refreshes += 1
        return issue(clientID: token.clientID, scopes: scopes, resource: resource, family: token.family)
    }

    /// The resource a token request names: it must be this server's and the one the grant was for.
    private func checkedResource(_ given: String?, bound: String?, resources: Set<String>) throws(SandboxOAuthError) -> String? {
        guard let given else { return bound }
        guard Self.matches(given, resources) else { throw .invalidTarget("resource \"\(given)\" is not this server's") }
        if let bound, !Self.matches(given, [bound.hasSuffix("/") ? String(bound.dropLast()) : bound]) {
            throw .invalidTarget("resource \"\(given)\" differs from the one authorized (\(bound))")
        }
        return given
    }

    private func issue(clientID: String, scopes: [String], resource: String?, family: String) -> JSONObject {
        pruneIfLarge()
        let access = Base64URL.random(bytes: 32)
        let refresh = Base64URL.random(bytes: 32)
        accessTokens[access] = AccessToken(clientID: clientID, scopes: scopes, expires: .now + options.accessTokenLifetime, family: family)
        refreshTokens[refresh] = RefreshToken(clientID: clientID, scopes: scopes, resource: resource,
                                              expires: .now + options.refreshTokenLifetime, family: family)
        stats.tokensIssued += 1
        let (seconds, attoseconds) = options.accessTokenLifetime.components
        return [
            "access_token": .string(access),
            "token_type": "Bearer",
            "expires_in": .number(JSONNumber(Int(seconds) + (attoseconds > 0 ? 1 : 0))),
            "refresh_token": .string(refresh),
            "scope": .string(scopes.joined(separator: " ")),
        ]
    }

    // MARK: Revocation (RFC 7009)

    /// Revokes an access token, or a refresh token with its whole family. Unknown tokens are fine.
    func revoke(_ form: [String: String]) throws(SandboxOAuthError) {
        guard let text = form["token"], !text.isEmpty else { throw .invalidRequest("token is missing") }
        let clientID = form["client_id"]
        if let access = accessTokens[text], clientID == nil || clientID == access.clientID {
            accessTokens[text] = nil
            stats.revocations += 1
        } else if let refresh = refreshTokens[text], clientID == nil || clientID == refresh.clientID {
            revokeFamily(refresh.family)
            stats.revocations += 1
        }
    }

    private func revokeFamily(_ family: String) {
        accessTokens = accessTokens.filter { $0.value.family != family }
        refreshTokens = refreshTokens.filter { $0.value.family != family }
    }

    /// Drops what has expired once the tables grow, so a long soak does not grow without bound.
    private func pruneIfLarge() {
        guard codes.count + accessTokens.count + refreshTokens.count > 10_000 else { return }
        let now = ContinuousClock.now
        codes = codes.filter { $0.value.expires > now || $0.value.family != nil }
        accessTokens = accessTokens.filter { $0.value.expires > now }
        refreshTokens = refreshTokens.filter { $0.value.expires > now }
    }

    // MARK: Resource server

    /// Whether `token` may use the MCP endpoint.
    public func check(accessToken token: String?) -> AccessCheck {
        guard let token else { return .missing }
        guard let access = accessTokens[token] else { return .invalid(reason: "The access token is unknown or revoked") }
        guard ContinuousClock.now < access.expires else {
            accessTokens[token] = nil
            return .invalid(reason: "The access token expired")
        }
        guard options.requiredScopes.allSatisfy(access.scopes.contains) else { return .insufficientScope(granted: access.scopes) }
        return .allowed
    }

    /// The counters `GET /sandbox/oauth-stats` reports.
    /// Ends every access token now, as their lifetime would: tests then need no clock to see expiry.
    func expireAccessTokens() {
        let past = ContinuousClock.now - .seconds(1)
        accessTokens = accessTokens.mapValues { AccessToken(clientID: $0.clientID, scopes: $0.scopes, expires: past, family: $0.family) }
    }

    func statistics() -> JSONObject {
        [
            "clients": .number(JSONNumber(clients.count)),
            "codes_issued": .number(JSONNumber(stats.codesIssued)),
            "tokens_issued": .number(JSONNumber(stats.tokensIssued)),
            "refreshes": .number(JSONNumber(stats.refreshes)),
            "invalid_grants": .number(JSONNumber(stats.invalidGrants)),
            "revocations": .number(JSONNumber(stats.revocations)),
        ]
    }
}
