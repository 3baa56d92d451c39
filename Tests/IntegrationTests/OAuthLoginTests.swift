import AsyncHTTPClient
import Foundation
import KeeperCore
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// mcpkeeper's OAuth client against the sandbox's authorization server: login with a scripted
/// browser, tokens on disk, refresh before expiry and after a 401, logout, and no secret in any log.
@Suite("OAuth login and token refresh against the sandbox's authorization server")
struct OAuthLoginTests {
    struct Setup {
        let sandbox: ProxyProcess
        let config: URL
        let home: URL
        let upstream = "hosted"
    }

    /// `sandbox --listen --oauth` and a config whose upstream `hosted` logs in to it; `auth` adds keys
    /// to its `auth` object (e.g. `, "interactive": true`).
    static func setUp(sandbox extra: [String] = [], scopes: [String] = [], auth: String = "") async throws -> Setup {
        let (sandbox, url) = try await ProxyProcess.listening(["sandbox", "--listen", "http://127.0.0.1:0", "--oauth"] + extra)
        let home = try temporaryDirectory()
        let config = home.appendingPathComponent("config.json")
        try Data("""
        {"state_dir": "\(home.path)/state",
         "upstreams": {"hosted": {"url": "\(url.absoluteString)", "whoami": "API-get-self",
                                  "auth": {"type": "oauth", "scopes": [\(scopes.map { "\"\($0)\"" }.joined(separator: ","))]\(auth)}}},
         "retry": {"base_delay": "5ms", "max_delay": "100ms"}}
        """.utf8).write(to: config)
        return Setup(sandbox: sandbox, config: config, home: home)
    }

    /// Runs `auth login`, playing the browser: fetch the printed URL, follow its redirect to the
    /// loopback callback (or paste it, with `--no-browser`).
    static func login(_ setup: Setup, paste: Bool = false) async throws -> ProxyProcess {
        let login = try ProxyProcess(["auth", "login", "--config", setup.config.path, "--upstream", setup.upstream] + (paste ? ["--no-browser"] : []),
                                     environment: ["DISPLAY": ""])
        let deadline = ContinuousClock.now + .seconds(10)
        var authorizeURL: String?
        while authorizeURL == nil, ContinuousClock.now < deadline {
            authorizeURL = login.stderr.firstMatch(of: /\s(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/).map { String($0.1) }
            if authorizeURL == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let url = try #require(authorizeURL, "no authorization URL printed: \(login.stderr)")
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        #expect(response.status.code == 302)
        let location = try #require(response.headers.first(name: "Location"))
        #expect(location.hasPrefix("http://127.0.0.1:"))
        #expect(location.contains("/callback?"))
        if paste {
            login.send(location)
        } else {
            _ = try await client.execute(HTTPClientRequest(url: location), timeout: .seconds(5))
        }
        try await client.shutdown()
        return login
    }

    static func tokenFile(_ setup: Setup) -> String { "\(setup.home.path)/state/tokens/\(setup.upstream).json" }

    /// Rewrites the stored login as 28 s into a 30 s life: inside its 3 s refresh margin (a tenth of
    /// the lifetime), so the next use refreshes first.
    static func ageStoredLogin(_ setup: Setup) throws {
        var tokens = try JSONParser.parse(String(contentsOfFile: tokenFile(setup), encoding: .utf8)).objectValue ?? JSONObject()
        let now = Date().timeIntervalSince1970.rounded()
        tokens["issued_at"] = .number(JSONNumber(now - 28))
        tokens["expires_at"] = .number(JSONNumber(now + 2))
        try SecureFile.writeAtomically(JSONValue.object(tokens).serializedBytes(), to: tokenFile(setup))
    }

    @Test("login through the loopback redirect stores the tokens 0600, and the proxy then works with them")
    func loginThenServe() async throws {
        let setup = try await Self.setUp()
        let login = try await Self.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        let mode = try FileManager.default.attributesOfItem(atPath: Self.tokenFile(setup))[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let proxy = try ProxyProcess(["serve", "--config", setup.config.path])
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1)
            #expect(reply["result"]?["serverInfo"] != nil, "\(reply) \(proxy.stderr)")
            proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
            let (me, _) = try await proxy.response(to: 2)
            #expect(me["result"] != nil, "\(me)")
            let token = try #require(try JSONParser.parse(String(contentsOfFile: Self.tokenFile(setup), encoding: .utf8))["access_token"]?.stringValue)
            #expect(!proxy.stderr.contains(token), "the access token must never be logged")
            #expect(!login.stderr.contains(token))
        }
    }

    @Test("serve --metrics exports when the access token expires")
    func tokenExpiryMetric() async throws {
        let setup = try await Self.setUp()
        let login = try await Self.login(setup)
        #expect(await login.waitForExit() == 0)
        let proxy = try ProxyProcess(["serve", "--config", setup.config.path, "--metrics", "127.0.0.1:0"])
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            _ = try await proxy.response(to: 1)
            let metrics = try await ProbeHarness.loggedURL(proxy, after: "serving metrics")
            let text = try await MetricsEndpointTests.scrape(metrics) { $0.contains("mcpkeeper_token_expiry_timestamp_seconds") }
            let expiry = text.firstMatch(of: /mcpkeeper_token_expiry_timestamp_seconds\{upstream="hosted"\} (\d+)/).flatMap { Double($0.1) }
            let now = Date().timeIntervalSince1970
            #expect(expiry.map { $0 > now && $0 < now + 7200 } == true, "\(text)")
        }
    }

    @Test("a token without the scope the server requires gets a clear 'add the scope and log in again' error")
    func insufficientScope() async throws {
        let setup = try await Self.setUp(sandbox: ["--require-scope", "notion:admin"], scopes: ["notion:read"])
        let login = try await Self.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        let proxy = try ProxyProcess(["serve", "--config", setup.config.path])
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1)
            let message = reply["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("notion:admin"), "\(reply)")
            #expect(message.contains("mcpkeeper auth login --upstream hosted"), "\(reply)")
        }
    }

    @Test("login on a headless machine: the redirect URL pasted on stdin completes it")
    func pastedRedirect() async throws {
        let setup = try await Self.setUp()
        let login = try await Self.login(setup, paste: true)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        #expect(FileManager.default.fileExists(atPath: Self.tokenFile(setup)))
        try await stopping([setup.sandbox]) {}
    }

    @Test("an access token that expires is refreshed before use, and the session goes on")
    func refreshBeforeExpiry() async throws {
        let setup = try await Self.setUp(sandbox: ["--access-token-ttl", "30s"])
        let login = try await Self.login(setup)
        #expect(await login.waitForExit() == 0)
        try Self.ageStoredLogin(setup)
        let before = try JSONParser.parse(String(contentsOfFile: Self.tokenFile(setup), encoding: .utf8))
        let proxy = try ProxyProcess(["serve", "--config", setup.config.path, "--log-level", "info"])
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1)
            #expect(reply["result"] != nil, "\(reply)")
            #expect(proxy.stderr.contains("refreshed the access token"))
            let after = try JSONParser.parse(String(contentsOfFile: Self.tokenFile(setup), encoding: .utf8))
            #expect(after["refresh_token"] != before["refresh_token"], "the sandbox rotates refresh tokens")
            #expect(after["access_token"] != before["access_token"])
        }
    }

    @Test("a refused refresh ends in a clear 'log in again' error, not a loop")
    func invalidGrant() async throws {
        let setup = try await Self.setUp(sandbox: ["--access-token-ttl", "30s"])
        let login = try await Self.login(setup)
        #expect(await login.waitForExit() == 0)
        try Self.ageStoredLogin(setup)
        var tokens = try JSONParser.parse(String(contentsOfFile: Self.tokenFile(setup), encoding: .utf8)).objectValue ?? JSONObject()
        tokens["refresh_token"] = "not-a-real-refresh-token"
        try SecureFile.writeAtomically(JSONValue.object(tokens).serializedBytes(), to: Self.tokenFile(setup))
        let proxy = try ProxyProcess(["serve", "--config", setup.config.path])
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1)
            let message = reply["error"]?["message"]?.stringValue ?? ""
            #expect(message.contains("mcpkeeper auth login --upstream hosted"), "\(reply)")
        }
    }

    @Test("a token file others can read is refused with the chmod fix")
    func loosePermissions() async throws {
        let setup = try await Self.setUp()
        let login = try await Self.login(setup)
        #expect(await login.waitForExit() == 0)
        chmod(Self.tokenFile(setup), 0o644)
        let status = try ProxyProcess(["auth", "status", "--config", setup.config.path])
        #expect(await status.waitForExit() == 1, "an unusable token file is a failure")
        #expect(await status.completeStderr().contains("chmod 600"), "\(status.stderr)")
        try await stopping([setup.sandbox]) {}
    }

    @Test("logout revokes and deletes the tokens")
    func logout() async throws {
        let setup = try await Self.setUp()
        let login = try await Self.login(setup)
        #expect(await login.waitForExit() == 0)
        let logout = try ProxyProcess(["auth", "logout", "--config", setup.config.path, "--upstream", "hosted"])
        #expect(await logout.waitForExit() == 0)
        #expect(!FileManager.default.fileExists(atPath: Self.tokenFile(setup)))
        try await stopping([setup.sandbox]) {}
    }
}
