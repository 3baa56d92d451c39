import KeeperCore

/// The MCP endpoint's check in OAuth mode: a valid, unexpired access token, with the required scopes.
/// Refusals carry the RFC 9728 `resource_metadata` pointer so a client can discover how to log in.
public struct SandboxOAuthAuthorizer: RequestAuthorizer {
    let server: SandboxOAuthServer
    let address: SandboxOAuthAddress

    public init(server: SandboxOAuthServer, address: SandboxOAuthAddress) {
        self.server = server
        self.address = address
    }

    public func challenge(forAuthorization header: String?) async -> AuthorizationChallenge? {
        let metadata = "resource_metadata=\"\(address.resourceMetadataURL(base: address.base))\""
        let required = server.options.requiredScopes
        let scope = required.isEmpty ? "" : ", scope=\"\(required.joined(separator: " "))\""
        switch await server.check(accessToken: Self.bearerToken(header)) {
        case .allowed:
            return nil
        case .missing:
            return .unauthorized("Bearer \(metadata)\(scope)")
        case .invalid(let reason):
            return .unauthorized("Bearer error=\"invalid_token\", error_description=\"\(reason)\", \(metadata)\(scope)")
        case .insufficientScope(let granted):
            let needed = granted + required.filter { !granted.contains($0) }
            return .forbidden("Bearer error=\"insufficient_scope\", scope=\"\(needed.joined(separator: " "))\", \(metadata)")
        }
    }

    /// The token of `Authorization: Bearer TOKEN` (the scheme is case-insensitive); nil otherwise.
    static func bearerToken(_ header: String?) -> String? {
        guard let header, header.count > 7, header.prefix(7).lowercased() == "bearer " else { return nil }
        let token = header.dropFirst(7).trimmingPrefix(while: { $0 == " " })
        return token.isEmpty ? nil : String(token)
    }
}
