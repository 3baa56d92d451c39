@testable import KeeperCore
import Foundation
import Testing

private func load(_ auth: String) -> (config: KeeperConfig?, problems: [ConfigProblem]) {
    let text = #"{"upstreams": {"hosted": {"url": "https://mcp.example.test/mcp", "auth": "# + auth + "}}}"
    return ConfigLoader(environment: ["HOME": "/home/tester", "TOKEN": "t"]).load(bytes: Array(text.utf8))
}

private func errors(_ problems: [ConfigProblem]) -> [ConfigProblem] { problems.filter { $0.severity == .error } }

@Suite("Interactive login settings (auth.interactive, auth.login_timeout)")
struct InteractiveLoginConfigTests {
    @Test("off by default, with a 5 minute timeout")
    func defaults() throws {
        let (config, problems) = load(#"{"type": "oauth"}"#)
        #expect(problems == [])
        let hosted = try #require(config?.upstream(named: "hosted"))
        #expect(hosted.login == InteractiveLoginSettings())
        #expect(hosted.login.enabled == false)
        #expect(hosted.login.timeout == .seconds(300))
    }

    @Test("interactive and login_timeout are read for an OAuth upstream")
    func parsed() throws {
        let (config, problems) = load(#"{"type": "oauth", "scopes": ["a"], "interactive": true, "login_timeout": "90s"}"#)
        #expect(problems == [])
        let hosted = try #require(config?.upstream(named: "hosted"))
        #expect(hosted.auth == .oauth(clientID: nil, scopes: ["a"], redirectPort: nil))
        #expect(hosted.login.enabled)
        #expect(hosted.login.timeout == .seconds(90))
    }

    @Test("wrong types, a zero timeout, and the keys on a bearer upstream are errors at their path")
    func refused() {
        let wrongType = errors(load(#"{"type": "oauth", "interactive": "yes"}"#).problems)
        #expect(wrongType.map(\.path) == ["upstreams.hosted.auth.interactive"], "\(wrongType)")
        let zero = errors(load(#"{"type": "oauth", "login_timeout": "0s"}"#).problems)
        #expect(zero.map(\.path) == ["upstreams.hosted.auth.login_timeout"], "\(zero)")
        let bearer = errors(load(#"{"type": "bearer", "token_env": "TOKEN", "interactive": true}"#).problems)
        #expect(bearer.map(\.path) == ["upstreams.hosted.auth.interactive"], "\(bearer)")
        #expect(bearer.first?.message.contains("oauth") == true)
    }

    @Test("LoginMode: never ignores the config, asConfigured follows it, always overrides it")
    func modes() {
        var on = InteractiveLoginSettings()
        on.enabled = true
        let off = InteractiveLoginSettings()
        #expect(!LoginMode.never.allows(on))
        #expect(LoginMode.asConfigured.allows(on))
        #expect(!LoginMode.asConfigured.allows(off))
        #expect(LoginMode.always.allows(off))
    }

    @Test("without a stored login: an error naming the login command unless interactive; then a TokenManager that will log in")
    func launcher() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mcpkeeper-interactive-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = TokenStore(directory: directory)
        var upstream = UpstreamConfig(transport: .url("https://mcp.example.test/mcp", headers: [:]))
        upstream.auth = .oauth(clientID: nil, scopes: [], redirectPort: nil)

        for mode in [LoginMode.never, .asConfigured] {
            do throws(UpstreamLaunchError) {
                _ = try UpstreamLauncher.target(for: upstream, name: "hosted", tokens: store, login: mode)
                Issue.record("expected 'not logged in' with \(mode)")
            } catch {
                #expect(error.description.contains("mcpkeeper auth login --upstream hosted"), "\(error)")
            }
        }
        upstream.login.enabled = true
        for mode in [LoginMode.asConfigured, .always] {
            guard case .http(let settings) = try UpstreamLauncher.target(for: upstream, name: "hosted", tokens: store, login: mode) else {
                Issue.record("expected an HTTP target")
                continue
            }
            #expect(settings.authorization is TokenManager)
        }
        do throws(UpstreamLaunchError) {
            _ = try UpstreamLauncher.target(for: upstream, name: "hosted", tokens: store, login: .never)
            Issue.record("probe and monitor never log in, whatever the config says")
        } catch {
            #expect(error.description.contains("mcpkeeper auth login --upstream hosted"))
        }
    }

    @Test("step-up scopes: stored, configured, then challenged, each once")
    func scopeUnion() {
        #expect(InteractiveLogin.union(["notion:read"], ["notion:read", "x"], ["notion:admin"]) == ["notion:read", "x", "notion:admin"])
        #expect(InteractiveLogin.scopes("a  b") == ["a", "b"])
        #expect(InteractiveLogin.scopes(nil) == [])
        var tokens = OAuthTokens(clientID: "c", tokenEndpoint: "https://as.test/token", accessToken: "a")
        #expect(TokenManager.grants(tokens, ["x"]), "an unstated grant gets the benefit of the doubt")
        tokens.scope = "a b"
        #expect(TokenManager.grants(tokens, ["b"]))
        #expect(!TokenManager.grants(tokens, ["b", "c"]))
    }

    @Test("the failure message names the fix and carries no secret")
    func failureMessage() {
        let text = AuthError.interactiveLoginFailed(upstream: "hosted", reason: "login failed: no redirect arrived within 300 s").description
        #expect(text.contains("mcpkeeper auth login --upstream hosted"))
        #expect(text.contains("auth.login_timeout"))
        #expect(text.contains("no redirect arrived within 300 s"))
    }
}
