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

    public var json: JSONValue {
        var o: JSONObject = ["client_id": .string(clientID), "token_endpoint": .string(tokenEndpoint), "access_token": .string(accessToken)]
        o["client_secret"] = clientSecret.map(JSONValue.string)
        o["revocation_endpoint"] = revocationEndpoint.map(JSONValue.string)
        o["resource"] = resource.map(JSONValue.string)
        o["refresh_token"] = refreshToken.map(JSONValue.string)
        o["expires_at"] = expiresAt.map { .number(JSONNumber($0.timeIntervalSince1970.rounded())) }
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
        if let scope = body["scope"]?.stringValue { self.scope = scope }
    }
}
