/// An OAuth error answer (RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8707): its code, a sentence, its status.
struct SandboxOAuthError: Error, Sendable, Equatable {
    let code: String
    let description: String
    var status: Int = 400

    static func invalidRequest(_ description: String) -> Self { Self(code: "invalid_request", description: description) }
    static func invalidGrant(_ description: String) -> Self { Self(code: "invalid_grant", description: description) }
    static func invalidClient(_ description: String) -> Self { Self(code: "invalid_client", description: description) }
    static func invalidScope(_ description: String) -> Self { Self(code: "invalid_scope", description: description) }
    static func invalidTarget(_ description: String) -> Self { Self(code: "invalid_target", description: description) }
    static func unsupportedGrantType(_ description: String) -> Self { Self(code: "unsupported_grant_type", description: description) }
    static func unsupportedResponseType(_ description: String) -> Self { Self(code: "unsupported_response_type", description: description) }
    static func invalidRedirectURI(_ description: String) -> Self { Self(code: "invalid_redirect_uri", description: description) }
    static func invalidClientMetadata(_ description: String) -> Self { Self(code: "invalid_client_metadata", description: description) }
}
