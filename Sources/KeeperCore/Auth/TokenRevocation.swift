/// Token revocation (RFC 7009) on logout: refresh token first (which ends the grant), then the
/// access token; failures are ignored because the local tokens are deleted either way.
public enum TokenRevocation {
    public static func revoke(_ tokens: OAuthTokens) async {
        guard let endpoint = tokens.revocationEndpoint else { return }
        let http = OAuthHTTP()
        if let refresh = tokens.refreshToken {
            _ = try? await http.postForm(endpoint, [("token", refresh), ("token_type_hint", "refresh_token"), ("client_id", tokens.clientID)])
        }
        _ = try? await http.postForm(endpoint, [("token", tokens.accessToken), ("token_type_hint", "access_token"), ("client_id", tokens.clientID)])
    }
}
