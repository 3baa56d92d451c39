import Foundation

/// What a login leaves behind for one upstream: the client registration, where to refresh, and the
/// tokens. Stored by `TokenStore`; never logged.
public struct OAuthTokens: Sendable, Equatable {
    public var clientID: String
    public var clientSecret: String?
    public var tokenEndpoint: String
    public var revocationEndpoint: String?
    public var resource: String?
    public var accessToken: String
    public var refreshToken: String?
    public var expiresAt: Date?
    /// When the access token was issued (with `expiresAt`, its lifetime, which sets the refresh margin).
    public var issuedAt: Date?
    public var scope: String?

    public init(clientID: String, tokenEndpoint: String, accessToken: String) {
        self.clientID = clientID
        self.tokenEndpoint = tokenEndpoint
        self.accessToken = accessToken
    }

    /// Whether the access token expires within `skew` of `now` (or has no stated expiry: then never).
    public func expires(within skew: Duration, of now: Date) -> Bool {
        guard let expiresAt else { return false }
        return expiresAt.timeIntervalSince(now) <= skew.milliseconds / 1000
    }

    /// How long before expiry to refresh: `maximum`, or a tenth of the token's lifetime when that is
    /// shorter, so a token that lives 30 s is refreshed 3 s before its end rather than on every request
    /// (with a fixed 60 s margin it would always count as expiring). Without a known lifetime (files
    /// written before `issued_at` was stored), `maximum`.
    public func refreshMargin(maximum: Duration) -> Duration {
        guard let expiresAt, let issuedAt else { return maximum }
        let lifetime = expiresAt.timeIntervalSince(issuedAt)
        guard lifetime > 0 else { return maximum }
        return min(maximum, .milliseconds(Int64((lifetime * 100).rounded())))
    }

    /// Whether to refresh now: the token expires within its refresh margin (at most `maximumMargin`).
    public func needsRefresh(maximumMargin: Duration, now: Date) -> Bool {
        expires(within: refreshMargin(maximum: maximumMargin), of: now)
    }

    public var json: JSONValue {
        var o: JSONObject = ["client_id": .string(clientID), "token_endpoint": .string(tokenEndpoint), "access_token": .string(accessToken)]
        o["client_secret"] = clientSecret.map(JSONValue.string)
        o["revocation_endpoint"] = revocationEndpoint.map(JSONValue.string)
        o["resource"] = resource.map(JSONValue.string)
        o["refresh_token"] = refreshToken.map(JSONValue.string)
        o["expires_at"] = expiresAt.map { .number(JSONNumber($0.timeIntervalSince1970.rounded())) }
        o["issued_at"] = issuedAt.map { .number(JSONNumber($0.timeIntervalSince1970.rounded())) }
        o["scope"] = scope.map(JSONValue.string)
        return .object(o)
    }

    public init?(json: JSONValue) {
        guard let clientID = json["client_id"]?.stringValue, let tokenEndpoint = json["token_endpoint"]?.stringValue,
              let accessToken = json["access_token"]?.stringValue else { return nil }
        self.init(clientID: clientID, tokenEndpoint: tokenEndpoint, accessToken: accessToken)
        clientSecret = json["client_secret"]?.stringValue
        revocationEndpoint = json["revocation_endpoint"]?.stringValue
        resource = json["resource"]?.stringValue
        refreshToken = json["refresh_token"]?.stringValue
        expiresAt = json["expires_at"]?.doubleValue.map(Date.init(timeIntervalSince1970:))
        issuedAt = json["issued_at"]?.doubleValue.map(Date.init(timeIntervalSince1970:))
        scope = json["scope"]?.stringValue
    }

    /// Applies a token endpoint response (RFC 6749 §5.1); a refresh token is kept unless rotated.
    public mutating func apply(tokenResponse body: JSONValue, now: Date) throws(AuthError) {
        guard let access = body["access_token"]?.stringValue else {
            throw .server("the token endpoint answered without an access_token")
        }
        accessToken = access
        if let refresh = body["refresh_token"]?.stringValue { refreshToken = refresh }
        expiresAt = body["expires_in"]?.doubleValue.map { now.addingTimeInterval($0) }
        issuedAt = expiresAt == nil ? nil : now
        if let scope = body["scope"]?.stringValue { self.scope = scope }
    }
}
