/// How the sandbox's OAuth mode (`sandbox --listen … --oauth`) issues and checks tokens.
public struct SandboxOAuthOptions: Sendable, Equatable {
    /// How long an access token is accepted on the MCP endpoint.
    public var accessTokenLifetime: Duration = .seconds(3600)
    /// How long a refresh token can be used; each refresh issues a new one with a new lifetime.
    public var refreshTokenLifetime: Duration = .seconds(86_400)
    /// How long an authorization code can be exchanged.
    public var codeLifetime: Duration = .seconds(60)
    /// Scopes an access token needs on the MCP endpoint (403 `insufficient_scope` otherwise).
    public var requiredScopes: [String] = []

    public init() {}

    /// The scopes a client may ask for; asking for none grants all of them.
    public var scopesSupported: [String] {
        var scopes = ["notion:read", "notion:write"]
        for scope in requiredScopes where !scopes.contains(scope) { scopes.append(scope) }
        return scopes
    }
}
