import AsyncHTTPClient
import Foundation
import KeeperCore
import NIOCore
import NIOHTTP1
import Testing

/// An HTTP client that does not follow redirects: `/authorize` answers with a 302 to the client's
/// loopback redirect URI, whose `Location` the tests read instead of visiting.
private let noRedirectClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                          configuration: .init(redirectConfiguration: .disallow))

@Suite("sandbox --oauth: the simulated Notion server as an OAuth-protected MCP resource")
struct SandboxOAuthTests {
    static let redirectURI = "http://127.0.0.1:9/callback"

    /// A running `sandbox --listen … --oauth` and how to talk to it.
    struct OAuthSandbox {
        let mcp: URL
        var base: String { "http://\(mcp.host!):\(mcp.port!)" }
        var resource: String { base + "/mcp" }

        func send(_ method: HTTPMethod, _ path: String, headers: [String: String] = [:], body: [UInt8]? = nil) async throws -> HTTPReply {
            var request = HTTPClientRequest(url: base + path)
            request.method = method
            for (name, value) in headers { request.headers.replaceOrAdd(name: name, value: value) }
            if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
            let response = try await noRedirectClient.execute(request, timeout: .seconds(5))
            let bytes = try await HTTPTransfer.collect(response.body, timeout: .seconds(5))
            return HTTPReply(status: Int(response.status.code), headers: HTTPTransfer.lowercased(response.headers), body: bytes)
        }

        func get(_ path: String) async throws -> HTTPReply { try await send(.GET, path) }

        func postJSON(_ path: String, _ body: JSONValue) async throws -> HTTPReply {
            try await send(.POST, path, headers: ["Content-Type": "application/json"], body: Array(body.serialized().utf8))
        }

        func postForm(_ path: String, _ fields: [String: String]) async throws -> HTTPReply {
            var components = URLComponents()
            components.queryItems = fields.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
            // URLComponents leaves "+" alone, which a form decoder reads as a space.
            let text = (components.percentEncodedQuery ?? "").replacingOccurrences(of: "+", with: "%2B")
            return try await send(.POST, path, headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Array(text.utf8))
        }

        func register() async throws -> String {
            let reply = try await postJSON("/register", ["client_name": "oauth test", "redirect_uris": [.string(SandboxOAuthTests.redirectURI)]])
            #expect(reply.status == 201, "\(reply.text)")
            return try #require(reply.json?["client_id"]?.stringValue)
        }

        /// `/authorize` with PKCE; the query fields of the 302's `Location`.
        func authorize(clientID: String, pkce: PKCE, state: String = "st-1", extra: [String: String] = [:]) async throws -> [String: String] {
            var fields = ["response_type": "code", "client_id": clientID, "redirect_uri": SandboxOAuthTests.redirectURI,
                          "code_challenge": pkce.challenge, "code_challenge_method": "S256", "state": state, "resource": resource]
            fields.merge(extra) { $1 }
            var components = URLComponents(string: base + "/authorize")!
            components.queryItems = fields.filter { !$0.value.isEmpty }.map { URLQueryItem(name: $0.key, value: $0.value) }
            let reply = try await send(.GET, components.percentEncodedPath + "?" + components.percentEncodedQuery!)
            #expect(reply.status == 302, "\(reply.text)")
            let location = try #require(reply.header("Location"))
            #expect(location.hasPrefix(SandboxOAuthTests.redirectURI + "?"))
            let items = URLComponents(string: location)?.queryItems ?? []
            return Dictionary(items.map { ($0.name, $0.value ?? "") }) { first, _ in first }
        }

        func exchange(clientID: String, code: String, verifier: String) async throws -> HTTPReply {
            try await postForm("/token", ["grant_type": "authorization_code", "code": code, "client_id": clientID,
                                          "redirect_uri": SandboxOAuthTests.redirectURI, "code_verifier": verifier, "resource": resource])
        }

        func refresh(clientID: String, _ refreshToken: String) async throws -> HTTPReply {
            try await postForm("/token", ["grant_type": "refresh_token", "refresh_token": refreshToken, "client_id": clientID, "resource": resource])
        }

        /// Register, authorize, exchange: the token response.
        func login(scope: String? = nil) async throws -> (clientID: String, tokens: JSONValue) {
            let clientID = try await register()
            let pkce = PKCE()
            let redirect = try await authorize(clientID: clientID, pkce: pkce, extra: scope.map { ["scope": $0] } ?? [:])
            let code = try #require(redirect["code"], "\(redirect)")
            let reply = try await exchange(clientID: clientID, code: code, verifier: pkce.verifier)
            #expect(reply.status == 200, "\(reply.text)")
            return (clientID, try #require(reply.json))
        }

        /// An MCP initialize, with the access token when one is given.
        func initialize(token: String?) async throws -> HTTPReply {
            try await MCPHTTPClient(url: mcp, bearerKey: token).request(1, "initialize", initializeParams)
        }

        func stats() async throws -> JSONValue { try #require(try await get("/sandbox/oauth-stats").json) }
    }

    static func withSandbox(_ options: [String] = [], _ body: (OAuthSandbox) async throws -> Void) async throws {
        let (process, url) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--oauth"] + options)
        try await stopping([process]) { try await body(OAuthSandbox(mcp: url)) }
    }

    static func accessToken(_ tokens: JSONValue) throws -> String { try #require(tokens["access_token"]?.stringValue) }
    static func refreshToken(_ tokens: JSONValue) throws -> String { try #require(tokens["refresh_token"]?.stringValue) }

    @Test("the protected resource and authorization server metadata describe the endpoints")
    func metadata() async throws {
        try await Self.withSandbox { sandbox in
            for path in ["/.well-known/oauth-protected-resource", "/.well-known/oauth-protected-resource/mcp"] {
                let reply = try await sandbox.get(path)
                #expect(reply.status == 200)
                #expect(reply.json?["resource"]?.stringValue == sandbox.resource)
                #expect(reply.json?["authorization_servers"] == [.string(sandbox.base)])
                #expect(reply.json?["bearer_methods_supported"] == ["header"])
                #expect(reply.json?["scopes_supported"]?.arrayValue?.isEmpty == false)
            }
            let server = try #require(try await sandbox.get("/.well-known/oauth-authorization-server").json)
            #expect(server["issuer"]?.stringValue == sandbox.base)
            #expect(server["authorization_endpoint"]?.stringValue == sandbox.base + "/authorize")
            #expect(server["token_endpoint"]?.stringValue == sandbox.base + "/token")
            #expect(server["registration_endpoint"]?.stringValue == sandbox.base + "/register")
            #expect(server["revocation_endpoint"]?.stringValue == sandbox.base + "/revoke")
            #expect(server["response_types_supported"] == ["code"])
            #expect(server["grant_types_supported"] == ["authorization_code", "refresh_token"])
            #expect(server["code_challenge_methods_supported"] == ["S256"])
            #expect(server["token_endpoint_auth_methods_supported"] == ["none"])
        }
    }

    @Test("a scripted login (register, authorize with PKCE, token) opens the MCP endpoint; without a token it is 401")
    func fullLogin() async throws {
        try await Self.withSandbox { sandbox in
            let refused = try await sandbox.initialize(token: nil)
            #expect(refused.status == 401)
            let challenge = try #require(refused.header("WWW-Authenticate"))
            #expect(challenge.hasPrefix("Bearer "))
            #expect(challenge.contains("resource_metadata=\"\(sandbox.base)/.well-known/oauth-protected-resource/mcp\""))
            #expect(!challenge.contains("error="))

            let clientID = try await sandbox.register()
            let pkce = PKCE()
            let redirect = try await sandbox.authorize(clientID: clientID, pkce: pkce, state: "xyz 1/2")
            #expect(redirect["state"] == "xyz 1/2")
            let code = try #require(redirect["code"])
            let reply = try await sandbox.exchange(clientID: clientID, code: code, verifier: pkce.verifier)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.header("Cache-Control") == "no-store")
            let tokens = try #require(reply.json)
            #expect(tokens["token_type"] == "Bearer")
            #expect(tokens["expires_in"]?.intValue == 3600)
            #expect(tokens["scope"]?.stringValue?.isEmpty == false)

            var client = MCPHTTPClient(url: sandbox.mcp, bearerKey: try Self.accessToken(tokens))
            let initialized = try await client.initialize()
            #expect(initialized.messages.first?["result"]?["serverInfo"]?["name"] == "notion-sandbox")
            let tools = try await client.request(2, "tools/list")
            #expect(tools.status == 200)
            #expect(tools.messages.first?["result"]?["tools"]?.arrayValue?.isEmpty == false)

            let wrong = try await sandbox.initialize(token: "not-a-token")
            #expect(wrong.status == 401)
            #expect(wrong.header("WWW-Authenticate")?.contains("error=\"invalid_token\"") == true)
            #expect(wrong.header("WWW-Authenticate")?.contains("resource_metadata=") == true)

            let stats = try await sandbox.stats()
            #expect(stats["clients"] == 1)
            #expect(stats["codes_issued"] == 1)
            #expect(stats["tokens_issued"] == 1)
            #expect(stats["invalid_grants"] == 0)
        }
    }

    @Test("a wrong code_verifier is invalid_grant")
    func wrongVerifier() async throws {
        try await Self.withSandbox { sandbox in
            let clientID = try await sandbox.register()
            let redirect = try await sandbox.authorize(clientID: clientID, pkce: PKCE())
            let reply = try await sandbox.exchange(clientID: clientID, code: try #require(redirect["code"]), verifier: PKCE().verifier)
            #expect(reply.status == 400)
            #expect(reply.json?["error"] == "invalid_grant")
            #expect(reply.json?["error_description"]?.stringValue?.contains("code_verifier") == true)
            #expect(reply.header("Cache-Control") == "no-store")
            #expect(try await sandbox.stats()["invalid_grants"] == 1)
        }
    }

    @Test("an authorization code works once; its reuse is invalid_grant and revokes what it issued")
    func codeReuse() async throws {
        try await Self.withSandbox { sandbox in
            let clientID = try await sandbox.register()
            let pkce = PKCE()
            let code = try #require(try await sandbox.authorize(clientID: clientID, pkce: pkce)["code"])
            let first = try await sandbox.exchange(clientID: clientID, code: code, verifier: pkce.verifier)
            #expect(first.status == 200)
            let token = try Self.accessToken(try #require(first.json))
            #expect(try await sandbox.initialize(token: token).status == 200)

            let second = try await sandbox.exchange(clientID: clientID, code: code, verifier: pkce.verifier)
            #expect(second.status == 400)
            #expect(second.json?["error"] == "invalid_grant")
            #expect(try await sandbox.initialize(token: token).status == 401)
        }
    }

    @Test("a refresh rotates the refresh token; the old one then fails and takes the login with it")
    func refreshRotation() async throws {
        try await Self.withSandbox { sandbox in
            let (clientID, tokens) = try await sandbox.login()
            let oldRefresh = try Self.refreshToken(tokens)
            let refreshed = try await sandbox.refresh(clientID: clientID, oldRefresh)
            #expect(refreshed.status == 200, "\(refreshed.text)")
            let rotated = try #require(refreshed.json)
            let newRefresh = try Self.refreshToken(rotated)
            #expect(newRefresh != oldRefresh)
            #expect(try Self.accessToken(rotated) != (try Self.accessToken(tokens)))
            #expect(try await sandbox.initialize(token: try Self.accessToken(rotated)).status == 200)

            let reused = try await sandbox.refresh(clientID: clientID, oldRefresh)
            #expect(reused.status == 400)
            #expect(reused.json?["error"] == "invalid_grant")
            #expect(reused.json?["error_description"]?.stringValue?.isEmpty == false)
            // The reuse looks like theft: the whole token family is revoked.
            #expect(try await sandbox.refresh(clientID: clientID, newRefresh).json?["error"] == "invalid_grant")
            #expect(try await sandbox.initialize(token: try Self.accessToken(rotated)).status == 401)

            let stats = try await sandbox.stats()
            #expect(stats["refreshes"] == 1)
            #expect(stats["tokens_issued"] == 2)
            #expect(stats["invalid_grants"] == 2)
        }
    }

    @Test("an expired access token is refused with invalid_token; a refresh gets a working one")
    func expiredAccessToken() async throws {
        try await Self.withSandbox(["--access-token-ttl", "30s"]) { sandbox in
            let (clientID, tokens) = try await sandbox.login()
            #expect(tokens["expires_in"] == 30)
            #expect(try await sandbox.initialize(token: try Self.accessToken(tokens)).status == 200)
            // The sandbox is told the time has come, so the test does not race a short lifetime.
            #expect(try await sandbox.postJSON("/sandbox/oauth-expire", [:]).status == 204)
            let expired = try await sandbox.initialize(token: try Self.accessToken(tokens))
            #expect(expired.status == 401)
            #expect(expired.header("WWW-Authenticate")?.contains("error=\"invalid_token\"") == true)
            let refreshed = try await sandbox.refresh(clientID: clientID, try Self.refreshToken(tokens))
            #expect(try await sandbox.initialize(token: try Self.accessToken(try #require(refreshed.json))).status == 200)
        }
    }

    @Test("revocation ends an access token, and a refresh token with its login; unknown tokens are fine")
    func revocation() async throws {
        try await Self.withSandbox { sandbox in
            let (clientID, tokens) = try await sandbox.login()
            let access = try Self.accessToken(tokens)
            let revokedAccess = try await sandbox.postForm("/revoke", ["token": access, "token_type_hint": "access_token", "client_id": clientID])
            #expect(revokedAccess.status == 200)
            #expect(try await sandbox.initialize(token: access).status == 401)

            let revokedRefresh = try await sandbox.postForm("/revoke", ["token": try Self.refreshToken(tokens), "client_id": clientID])
            #expect(revokedRefresh.status == 200)
            #expect(try await sandbox.refresh(clientID: clientID, try Self.refreshToken(tokens)).json?["error"] == "invalid_grant")

            #expect(try await sandbox.postForm("/revoke", ["token": "never-issued"]).status == 200)
            #expect(try await sandbox.stats()["revocations"] == 2)
        }
    }

    @Test("--require-scope: a token without the scope gets 403 insufficient_scope; one with it gets in")
    func requiredScope() async throws {
        try await Self.withSandbox(["--require-scope", "notion:admin"]) { sandbox in
            let anonymous = try await sandbox.initialize(token: nil)
            #expect(anonymous.status == 401)
            #expect(anonymous.header("WWW-Authenticate")?.contains("scope=\"notion:admin\"") == true)

            let (_, narrow) = try await sandbox.login(scope: "notion:read")
            let forbidden = try await sandbox.initialize(token: try Self.accessToken(narrow))
            #expect(forbidden.status == 403)
            let challenge = try #require(forbidden.header("WWW-Authenticate"))
            #expect(challenge.contains("error=\"insufficient_scope\""))
            #expect(challenge.contains("scope=\"notion:read notion:admin\""))
            #expect(challenge.contains("resource_metadata=\"\(sandbox.base)/.well-known/oauth-protected-resource/mcp\""))

            let (_, wide) = try await sandbox.login(scope: "notion:read notion:admin")
            #expect(wide["scope"] == "notion:read notion:admin")
            #expect(try await sandbox.initialize(token: try Self.accessToken(wide)).status == 200)
        }
    }

    @Test("bad registrations and authorization requests are refused, by redirect only when the redirect URI is trusted")
    func refusals() async throws {
        try await Self.withSandbox { sandbox in
            let remote = try await sandbox.postJSON("/register", ["redirect_uris": ["https://evil.example/cb"]])
            #expect(remote.status == 400)
            #expect(remote.json?["error"] == "invalid_redirect_uri")

            let clientID = try await sandbox.register()
            let unknownClient = try await sandbox.get("/authorize?response_type=code&client_id=nobody&redirect_uri=\(Self.redirectURI)")
            #expect(unknownClient.status == 400)
            #expect(unknownClient.header("Location") == nil)
            let otherRedirect = try await sandbox.get("/authorize?response_type=code&client_id=\(clientID)&redirect_uri=http://127.0.0.1:9/other")
            #expect(otherRedirect.status == 400)

            let noPKCE = try await sandbox.authorize(clientID: clientID, pkce: PKCE(), state: "s", extra: ["code_challenge": ""])
            #expect(noPKCE["error"] == "invalid_request")
            #expect(noPKCE["state"] == "s")
            #expect(noPKCE["code"] == nil)
            let plain = try await sandbox.authorize(clientID: clientID, pkce: PKCE(), extra: ["code_challenge_method": "plain"])
            #expect(plain["error"] == "invalid_request")
            let elsewhere = try await sandbox.authorize(clientID: clientID, pkce: PKCE(), extra: ["resource": "http://127.0.0.1:1/mcp"])
            #expect(elsewhere["error"] == "invalid_target")
            let badScope = try await sandbox.authorize(clientID: clientID, pkce: PKCE(), extra: ["scope": "everything"])
            #expect(badScope["error"] == "invalid_scope")

            let unsupported = try await sandbox.postForm("/token", ["grant_type": "password"])
            #expect(unsupported.json?["error"] == "unsupported_grant_type")
        }
    }
}
