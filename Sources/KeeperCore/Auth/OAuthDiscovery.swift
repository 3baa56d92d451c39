import Foundation

/// Where an MCP server's authorization happens, found the way the MCP authorization spec says:
/// the 401's `resource_metadata` (RFC 9728), else the well-known protected resource metadata; then
/// the authorization server's metadata (RFC 8414, then OpenID Connect discovery).
public struct AuthorizationServer: Sendable {
    public var resource: String
    public var issuer: String
    public var authorizationEndpoint: String
    public var tokenEndpoint: String
    public var registrationEndpoint: String?
    public var revocationEndpoint: String?
    public var scopesSupported: [String]
}

enum OAuthDiscovery {
    static func discover(resourceURL: String, http: OAuthHTTP) async throws(AuthError) -> AuthorizationServer {
        let probe = try await http.postJSON(resourceURL, ["jsonrpc": "2.0", "id": 1, "method": "ping"])
        var metadataURLs: [String] = []
        if let challenge = probe.header("WWW-Authenticate"), let url = resourceMetadataParameter(challenge) {
            metadataURLs.append(url)
        }
        metadataURLs += wellKnown(resourceURL, suffix: "oauth-protected-resource")
        var resourceMetadata: JSONValue?
        for url in metadataURLs {
            let answer = try await http.get(url)
            if answer.status == 200, let json = answer.json, json["authorization_servers"] != nil {
                resourceMetadata = json
                break
            }
        }
        guard let resourceMetadata, let issuer = resourceMetadata["authorization_servers"]?.arrayValue?.first?.stringValue else {
            throw .server("\(resourceURL) publishes no protected resource metadata (RFC 9728), so mcpkeeper cannot find where to log in")
        }
        let resource = resourceMetadata["resource"]?.stringValue ?? resourceURL
        for url in wellKnown(issuer, suffix: "oauth-authorization-server") + wellKnown(issuer, suffix: "openid-configuration") {
            let answer = try await http.get(url)
            guard answer.status == 200, let json = answer.json,
                  let authorize = json["authorization_endpoint"]?.stringValue, let token = json["token_endpoint"]?.stringValue else { continue }
            let methods = json["code_challenge_methods_supported"]?.arrayValue?.compactMap(\.stringValue) ?? ["S256"]
            guard methods.contains("S256") else {
                throw .server("\(issuer) does not support PKCE with S256, which MCP requires")
            }
            return AuthorizationServer(
                resource: resource, issuer: json["issuer"]?.stringValue ?? issuer, authorizationEndpoint: authorize,
                tokenEndpoint: token, registrationEndpoint: json["registration_endpoint"]?.stringValue,
                revocationEndpoint: json["revocation_endpoint"]?.stringValue,
                scopesSupported: json["scopes_supported"]?.arrayValue?.compactMap(\.stringValue)
                    ?? resourceMetadata["scopes_supported"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        }
        throw .server("\(issuer) publishes no authorization server metadata (RFC 8414 or OpenID discovery)")
    }

    /// `resource_metadata="…"` from a `WWW-Authenticate: Bearer …` challenge.
    static func resourceMetadataParameter(_ challenge: String) -> String? {
        // Parameter names are case-insensitive (RFC 9110 §11.2) and must stand alone, not end a longer name.
        let lowered = challenge.lowercased()
        var searchFrom = lowered.startIndex
        while let range = lowered.range(of: "resource_metadata=\"", range: searchFrom..<lowered.endIndex) {
            let before = range.lowerBound == lowered.startIndex ? " " : lowered[lowered.index(before: range.lowerBound)]
            if before == " " || before == "," {
                let offset = lowered.distance(from: lowered.startIndex, to: range.upperBound)
                let rest = challenge[challenge.index(challenge.startIndex, offsetBy: offset)...]
                return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
            }
            searchFrom = range.upperBound
        }
        return nil
    }

    /// RFC 8414 / 9728 well-known locations: inserted before the path, then at the root.
    static func wellKnown(_ url: String, suffix: String) -> [String] {
        guard let components = URLComponents(string: url), let scheme = components.scheme, let host = components.host else { return [] }
        let origin = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
        var path = components.path
        while path.hasSuffix("/") { path.removeLast() }
        var urls = ["\(origin)/.well-known/\(suffix)\(path)"]
        if !path.isEmpty { urls.append("\(origin)/.well-known/\(suffix)") }
        return urls
    }
}
