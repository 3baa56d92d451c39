import HTTPTypes

/// Decides whether a request to the MCP endpoint carries acceptable credentials, for listeners whose
/// tokens change (the sandbox's OAuth mode) rather than one fixed key.
public protocol RequestAuthorizer: Sendable {
    /// Nil to let the request through; otherwise the refusal to send.
    func challenge(forAuthorization header: String?) async -> AuthorizationChallenge?
}

/// A refused request: 401 (no or bad credentials) or 403 (valid credentials lacking a scope), with
/// the `WWW-Authenticate` value that tells the client what to do.
public struct AuthorizationChallenge: Sendable, Equatable {
    public var status: HTTPResponse.Status
    public var wwwAuthenticate: String

    public static func unauthorized(_ wwwAuthenticate: String) -> Self { Self(status: .unauthorized, wwwAuthenticate: wwwAuthenticate) }
    public static func forbidden(_ wwwAuthenticate: String) -> Self { Self(status: .forbidden, wwwAuthenticate: wwwAuthenticate) }
}
