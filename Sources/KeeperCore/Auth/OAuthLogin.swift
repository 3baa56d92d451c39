import Foundation
import Logging

/// The interactive login of the MCP authorization spec: discovery, dynamic client registration
/// (unless a client id is configured), authorization code with PKCE S256, `state` and `resource`
/// on a loopback redirect, then the token exchange.
public struct OAuthLogin: Sendable {
    public struct Options: Sendable {
        public var upstream: String
        public var resourceURL: String
        public var clientID: String?
        public var scopes: [String] = []
        /// 0 picks a free port.
        public var redirectPort = 0
        public var openBrowser = true
        /// Also accept the redirect URL pasted on stdin (headless machines).
        public var acceptPastedRedirect = false
        public var timeout: Duration = .seconds(300)

        public init(upstream: String, resourceURL: String) {
            self.upstream = upstream
            self.resourceURL = resourceURL
        }
    }

    let options: Options
    let http: OAuthHTTP
    let logger: Logger
    /// Where the authorization URL is shown to the user (stderr by default).
    let show: @Sendable (String) -> Void

    public init(options: Options, logger: Logger, show: @escaping @Sendable (String) -> Void) {
        self.options = options
        self.http = OAuthHTTP()
        self.logger = logger
        self.show = show
    }

    public func run() async throws -> OAuthTokens {
        let server = try await OAuthDiscovery.discover(resourceURL: options.resourceURL, http: http)
        let callback = try await LoopbackCallback.start(port: options.redirectPort, logger: logger)
        defer { Task { await callback.stop() } }
        let redirectURI = callback.redirectURI
        let scopes = options.scopes.isEmpty ? server.scopesSupported : options.scopes
        let clientID: String
        if let configured = options.clientID {
            clientID = configured
        } else {
            clientID = try await register(at: server, redirectURI: redirectURI, scopes: scopes)
        }
        let pkce = PKCE()
        let state = Base64URL.random(bytes: 24)
        var query: [(String, String)] = [
            ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirectURI),
            ("code_challenge", pkce.challenge), ("code_challenge_method", "S256"), ("state", state),
            ("resource", server.resource),
        ]
        if !scopes.isEmpty { query.append(("scope", scopes.joined(separator: " "))) }
        let separator = server.authorizationEndpoint.contains("?") ? "&" : "?"
        let authorizeURL = server.authorizationEndpoint + separator + FormEncoding.encode(query)
        show("Open this URL to log in to '\(options.upstream)':\n\n  \(authorizeURL)\n")
        if options.openBrowser { BrowserOpener.open(authorizeURL, logger: logger) }
        if options.acceptPastedRedirect {
            show("Or, on a machine without a browser, paste the URL you were redirected to and press Enter:")
        }
        let redirect = try await callback.awaitRedirect(timeout: options.timeout, acceptPasted: options.acceptPastedRedirect)
        let parameters = FormEncoding.query(of: redirect)
        guard parameters["state"] == state else {
            throw AuthError.login("the redirect's state does not match this login (a stale or forged redirect); start again")
        }
        if let error = parameters["error"] {
            throw AuthError.login("the authorization server said \(error): \(parameters["error_description"] ?? "no description")")
        }
        guard let code = parameters["code"] else { throw AuthError.login("the redirect carried no authorization code") }
        let answer = try await http.postForm(server.tokenEndpoint, [
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
            ("client_id", clientID), ("code_verifier", pkce.verifier), ("resource", server.resource),
        ])
        guard answer.status == 200, let body = answer.json else {
            throw AuthError.server("the token exchange failed (HTTP \(answer.status)): \(Self.oauthError(answer))")
        }
        var tokens = OAuthTokens(clientID: clientID, tokenEndpoint: server.tokenEndpoint, accessToken: "")
        tokens.revocationEndpoint = server.revocationEndpoint
        tokens.resource = server.resource
        try tokens.apply(tokenResponse: body, now: Date())
        return tokens
    }

    /// Dynamic client registration (RFC 7591) as a public client with a loopback redirect.
    /// The scopes go into the registration too: servers check later requests against them.
    private func register(at server: AuthorizationServer, redirectURI: String, scopes: [String]) async throws -> String {
        guard let endpoint = server.registrationEndpoint else {
            throw AuthError.server("\(server.issuer) offers no dynamic client registration; set auth.client_id in the config")
        }
        var metadata: JSONObject = [
            "client_name": "mcpkeeper", "redirect_uris": [.string(redirectURI)],
            "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        ]
        if !scopes.isEmpty { metadata["scope"] = .string(scopes.joined(separator: " ")) }
        let answer = try await http.postJSON(endpoint, .object(metadata))
        guard (200..<300).contains(answer.status), let clientID = answer.json?["client_id"]?.stringValue else {
            throw AuthError.server("client registration failed (HTTP \(answer.status)): \(Self.oauthError(answer))")
        }
        return clientID
    }

    /// The `error` and `error_description` of an OAuth error response (RFC 6749 §5.2), never the body.
    static func oauthError(_ answer: OAuthHTTP.Answer) -> String {
        let error = answer.json?["error"]?.stringValue ?? "no error code"
        return answer.json?["error_description"]?.stringValue.map { "\(error): \($0)" } ?? error
    }
}

/// Opens a URL in the desktop's browser when there is one; silently does nothing otherwise.
enum BrowserOpener {
    static func open(_ url: String, logger: Logger) {
        let environment = ProcessInfo.processInfo.environment
        #if os(macOS)
        let opener = "/usr/bin/open"
        #else
        guard !(environment["DISPLAY"] ?? "").isEmpty || !(environment["WAYLAND_DISPLAY"] ?? "").isEmpty else { return }
        let opener = "xdg-open"
        #endif
        do {
            _ = try ChildProcess.spawn(ChildProcessSpec(executable: opener, arguments: [url]))
        } catch {
            logger.debug("no browser could be opened", metadata: ["error": "\(error)"])
        }
    }
}
