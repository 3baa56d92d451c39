import AsyncHTTPClient
import Foundation
import KeeperCore
import Logging
import NIOCore
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `serve` logging in by itself (`auth.interactive`, `--interactive-login`) against the sandbox's
/// authorization server, with a scripted browser: on the first request, after a refused refresh, and
/// for a missing scope (step-up); one login for concurrent requests; a clear error when it cannot.
@Suite("Interactive login on first use and step-up on insufficient_scope")
struct InteractiveLoginTests {
    typealias Setup = OAuthLoginTests.Setup

    static let interactive = #", "interactive": true"#
    static var authorizeURL: Regex<(Substring, Substring)> { /\s(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/ }

    /// The authorization URLs `text` shows, in order.
    static func authorizeURLs(in text: String) -> [String] {
        text.matches(of: authorizeURL).map { String($0.1) }
    }

    /// Plays the browser for the `nth` (0-based) authorization URL on the process's stderr: fetches it
    /// (the sandbox approves at once with a 302) and follows the redirect to the loopback callback.
    /// Returns the authorization URL and the redirect (which carries the code).
    @discardableResult
    static func approve(_ process: ProxyProcess, nth: Int = 0, timeout: Duration = .seconds(15)) async throws -> (url: String, redirect: String) {
        let deadline = ContinuousClock.now + timeout
        var urls = authorizeURLs(in: process.stderr)
        while urls.count <= nth, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
            urls = authorizeURLs(in: process.stderr)
        }
        guard urls.count > nth else { throw HarnessError("authorization URL #\(nth + 1) never shown: \(process.stderr)") }
        return try await approve(url: urls[nth])
    }

    static func approve(url: String) async throws -> (url: String, redirect: String) {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
            #expect(response.status.code == 302)
            let location = try #require(response.headers.first(name: "Location"))
            #expect(location.contains("/callback?"))
            _ = try await client.execute(HTTPClientRequest(url: location), timeout: .seconds(5))
            try await client.shutdown()
            return (url, location)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func serve(_ setup: Setup, _ extra: [String] = [], logLevel: String = "info") throws -> ProxyProcess {
        try ProxyProcess(["serve", "--config", setup.config.path, "--log-level", logLevel] + extra, environment: ["DISPLAY": "", "WAYLAND_DISPLAY": ""])
    }

    static func query(_ url: String, _ name: String) -> String? {
        URLComponents(string: url)?.queryItems?.first { $0.name == name }?.value
    }

    // MARK: First use

    @Test("first use: the first request runs the login (URL on stderr only), then succeeds; a restart reuses the stored login")
    func firstUse() async throws {
        let setup = try await OAuthLoginTests.setUp(auth: Self.interactive)
        #expect(!FileManager.default.fileExists(atPath: OAuthLoginTests.tokenFile(setup)))
        let proxy = try Self.serve(setup, logLevel: "trace")
        var secrets: [String: String] = [:]
        try await stopping([proxy]) {
            proxy.request(1, "initialize", initializeParams)
            let (_, redirect) = try await Self.approve(proxy)
            secrets["authorization code"] = Self.query(redirect, "code")
            // Every line on stdout is parsed as JSON-RPC here: the URL never went there.
            let (reply, skipped) = try await proxy.response(to: 1, timeout: .seconds(15))
            #expect(reply["result"]?["serverInfo"] != nil, "\(reply) \(proxy.stderr)")
            #expect(skipped.isEmpty, "\(skipped)")
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
            TokenRefreshTests.expectSuccess(try await proxy.response(to: 2).0, proxy.stderr)
            #expect(Self.authorizeURLs(in: proxy.stderr).count == 1)
            #expect(proxy.stderr.contains("needs a login (no login is stored)"), "\(proxy.stderr)")
            #expect(proxy.stderr.contains("logged in to 'hosted'"), "\(proxy.stderr)")
        }
        let mode = try FileManager.default.attributesOfItem(atPath: OAuthLoginTests.tokenFile(setup))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let tokens = try TokenRefreshTests.tokens(setup)
        secrets["access token"] = try TokenRefreshTests.string(tokens, "access_token")
        secrets["refresh token"] = try TokenRefreshTests.string(tokens, "refresh_token")

        let restarted = try Self.serve(setup, logLevel: "trace")
        try await stopping([restarted, setup.sandbox]) {
            restarted.request(1, "initialize", initializeParams)
            let (reply, _) = try await restarted.response(to: 1)
            #expect(reply["result"]?["serverInfo"] != nil, "\(reply) \(restarted.stderr)")
            #expect(Self.authorizeURLs(in: restarted.stderr).isEmpty, "the stored login is used: \(restarted.stderr)")
            let stats = try await TokenRefreshTests.stats(setup)
            #expect(stats["codes_issued"] == 1, "one login in all: \(stats)")
            let challenges = Set(Self.authorizeURLs(in: proxy.stderr).compactMap { Self.query($0, "code_challenge") })
            for (name, text) in [("serve", proxy.stderr), ("restarted serve", restarted.stderr)] {
                #expect(TokenRefreshTests.leaks(secrets, in: text).isEmpty, "\(name) logged \(TokenRefreshTests.leaks(secrets, in: text))")
                // Codes, tokens and the PKCE verifier are 43 base64url characters; only the challenge
                // (in the URL shown to the user) may appear.
                let suspects = Set(text.matches(of: /[A-Za-z0-9_-]+/).map { String($0.0) }.filter { $0.count == 43 }).subtracting(challenges)
                #expect(suspects.isEmpty, "\(name) logged \(suspects.count) secret-looking 43-character string(s)")
            }
        }
    }

    @Test("two sessions' first requests at once wait for one login, and both succeed")
    func concurrentFirstRequests() async throws {
        let setup = try await OAuthLoginTests.setUp(auth: Self.interactive)
        let (proxy, url) = try await ProxyProcess.listening(
            ["serve", "--listen", "http://127.0.0.1:0", "--no-auth", "--config", setup.config.path, "--log-level", "info"],
            environment: ["DISPLAY": "", "WAYLAND_DISPLAY": ""])
        try await stopping([proxy, setup.sandbox]) {
            var first = MCPHTTPClient(url: url)
            var second = MCPHTTPClient(url: url)
            first.timeout = 20
            second.timeout = 20
            async let a = first.request(1, "initialize", initializeParams)
            async let b = second.request(1, "initialize", initializeParams)
            // Both requests are waiting before the browser step happens.
            try await Task.sleep(for: .milliseconds(500))
            try await Self.approve(proxy)
            let (replyA, replyB) = try await (a, b)
            #expect(replyA.status == 200 && replyA.messages.first?["result"]?["serverInfo"] != nil, "\(replyA.text) \(proxy.stderr)")
            #expect(replyB.status == 200 && replyB.messages.first?["result"]?["serverInfo"] != nil, "\(replyB.text) \(proxy.stderr)")
            #expect(Self.authorizeURLs(in: proxy.stderr).count == 1, "one login: \(proxy.stderr)")
            let stats = try await TokenRefreshTests.stats(setup)
            #expect(stats["codes_issued"] == 1, "\(stats)")
            #expect(stats["clients"] == 1, "one registration: \(stats)")
        }
    }

    @Test("TokenManager: three concurrent requests without a login share one login (deterministic)")
    func singleFlightLogin() async throws {
        let setup = try await OAuthLoginTests.setUp()
        let resource = try Self.resource(setup)
        try await stopping([setup.sandbox]) {
            let shown = Mutex<[String]>([])
            var options = OAuthLogin.Options(upstream: setup.upstream, resourceURL: resource)
            options.openBrowser = false
            // A failure must not hold the run for the default five minutes the three requests would wait.
            options.timeout = .seconds(60)
            let login = InteractiveLogin(options: options) { text in shown.withLock { $0.append(text) } }
            let store = TokenStore(directory: "\(setup.home.path)/state/tokens")
            let manager = TokenManager(upstream: setup.upstream, store: store, logger: Logger(label: "test"), login: login)
            async let h1 = manager.authorizationHeader()
            async let h2 = manager.authorizationHeader()
            async let h3 = manager.authorizationHeader()
            var url: String?
            // The login first asks the sandbox (discovery, registration): slow when the whole suite runs at once.
            let deadline = ContinuousClock.now + .seconds(45)
            while url == nil, ContinuousClock.now < deadline {
                url = shown.withLock { $0.joined(separator: "\n") }.firstMatch(of: Self.authorizeURL).map { String($0.1) }
                if url == nil { try await Task.sleep(for: .milliseconds(20)) }
            }
            _ = try await Self.approve(url: try #require(url, "no URL shown"))
            let headers = try await [h1, h2, h3]
            #expect(Set(headers).count == 1, "all three use the one new token")
            #expect(shown.withLock { $0.joined() }.matches(of: Self.authorizeURL).count == 1)
            #expect(try await TokenRefreshTests.stats(setup)["codes_issued"] == 1)
            #expect(try store.load(setup.upstream) != nil, "the login is stored")
        }
    }

    @Test("--interactive-login turns it on without the config key")
    func flag() async throws {
        let setup = try await OAuthLoginTests.setUp()
        let proxy = try Self.serve(setup, ["--interactive-login"])
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            try await Self.approve(proxy)
            let (reply, _) = try await proxy.response(to: 1, timeout: .seconds(15))
            #expect(reply["result"]?["serverInfo"] != nil, "\(reply) \(proxy.stderr)")
        }
    }

    @Test("after a refused refresh (invalid_grant), an interactive serve logs in again and the request succeeds")
    func reloginAfterInvalidGrant() async throws {
        let setup = try await OAuthLoginTests.setUp(sandbox: ["--access-token-ttl", "30s"], auth: Self.interactive)
        let login = try await OAuthLoginTests.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        try OAuthLoginTests.ageStoredLogin(setup)
        var tokens = try TokenRefreshTests.tokens(setup).objectValue ?? JSONObject()
        tokens["refresh_token"] = "not-a-real-refresh-token"
        try SecureFile.writeAtomically(JSONValue.object(tokens).serializedBytes(), to: OAuthLoginTests.tokenFile(setup))
        let proxy = try Self.serve(setup)
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            try await Self.approve(proxy)
            let (reply, _) = try await proxy.response(to: 1, timeout: .seconds(15))
            #expect(reply["result"]?["serverInfo"] != nil, "\(reply) \(proxy.stderr)")
            #expect(proxy.stderr.contains("needs a login (the login has expired or was revoked)"), "\(proxy.stderr)")
            let stats = try await TokenRefreshTests.stats(setup)
            #expect(stats["invalid_grants"] == 1, "one refused refresh, then a login, no loop: \(stats)")
            #expect(stats["codes_issued"] == 2, "auth login, then serve's login: \(stats)")
        }
    }

    @Test("a login that times out gives the waiting request a clear error with the fix, and the next request tries again")
    func loginTimeout() async throws {
        let setup = try await OAuthLoginTests.setUp(auth: Self.interactive + #", "login_timeout": "1s""#)
        let proxy = try Self.serve(setup)
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1, timeout: .seconds(15))
            let message = reply["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("did not complete"), "\(reply)")
            #expect(message.contains("no redirect arrived within 1 s"), "\(reply)")
            #expect(message.contains("mcpkeeper auth login --upstream hosted"), "\(reply)")
            #expect(proxy.stderr.contains("the login did not complete"), "and on stderr: \(proxy.stderr)")
            #expect(Self.authorizeURLs(in: proxy.stderr).count == 1, "one request, one login (the era probe after the refusal waits): \(proxy.stderr)")
            // A failed login is not restarted for a few seconds, then the next request starts a new one.
            // (Not approved: a browser step within the 1 s timeout would race a loaded machine.)
            try await Task.sleep(for: .milliseconds(3200))
            proxy.request(2, "initialize", initializeParams)
            let (again, _) = try await proxy.response(to: 2, timeout: .seconds(15))
            #expect(Self.authorizeURLs(in: proxy.stderr).count == 2, "the next request started a new login: \(proxy.stderr)")
            #expect(again["error"]?["message"]?.stringValue?.contains("did not complete") == true, "\(again)")
        }
    }

    // MARK: Step-up

    @Test("step-up: a token without the required scope makes an interactive serve log in again for it, and the call succeeds")
    func stepUp() async throws {
        let setup = try await OAuthLoginTests.setUp(sandbox: ["--require-scope", "notion:admin"], scopes: ["notion:read"], auth: Self.interactive)
        let login = try await OAuthLoginTests.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        #expect(try TokenRefreshTests.tokens(setup)["scope"] == "notion:read")
        let proxy = try Self.serve(setup)
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (url, _) = try await Self.approve(proxy)
            let asked = Set((Self.query(url, "scope") ?? "").split(separator: " ").map(String.init))
            #expect(asked == ["notion:read", "notion:admin"], "the stored and configured scopes plus the challenged one: \(asked)")
            let (reply, _) = try await proxy.response(to: 1, timeout: .seconds(15))
            #expect(reply["result"]?["serverInfo"] != nil, "\(reply) \(proxy.stderr)")
            #expect(proxy.stderr.contains("notion:admin, which the access token lacks"), "\(proxy.stderr)")
            proxy.send(["jsonrpc": "2.0", "method": "notifications/initialized"])
            proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
            TokenRefreshTests.expectSuccess(try await proxy.response(to: 2).0, proxy.stderr)
            let scopes = Set((try TokenRefreshTests.tokens(setup)["scope"]?.stringValue ?? "").split(separator: " ").map(String.init))
            #expect(scopes.isSuperset(of: ["notion:read", "notion:admin"]), "the stepped-up login is stored: \(scopes)")
            #expect(Self.authorizeURLs(in: proxy.stderr).count == 1, "one step-up")
        }
    }

    @Test("without interactive login: no stored login still fails at once with the login command, and shows no URL")
    func nonInteractiveUnchanged() async throws {
        let setup = try await OAuthLoginTests.setUp(auth: #", "interactive": false"#)
        let proxy = try Self.serve(setup)
        let status = await proxy.waitForExit()
        let stderr = await proxy.completeStderr()
        try await stopping([setup.sandbox]) {
            #expect(status == 2, "\(stderr)")
            #expect(stderr.contains("mcpkeeper auth login --upstream hosted"), "\(stderr)")
            #expect(Self.authorizeURLs(in: stderr).isEmpty)
        }
    }

    /// The sandbox's MCP endpoint (the resource) of a setup, from its config.
    static func resource(_ setup: Setup) throws -> String {
        let config = try JSONParser.parse(String(contentsOf: setup.config, encoding: .utf8))
        return try #require(config["upstreams"]?["hosted"]?["url"]?.stringValue)
    }
}
