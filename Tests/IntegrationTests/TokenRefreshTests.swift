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

/// Token refresh against the sandbox's authorization server, beyond the happy path: a token revoked
/// behind the proxy's back (401, refresh, retry), two proxies sharing one token store while every use
/// rotates the refresh token, and no secret of any of it in any process's stderr.
@Suite("OAuth token refresh: after a 401, across processes, and never logged")
struct TokenRefreshTests {
    typealias Setup = OAuthLoginTests.Setup

    // MARK: Helpers

    static func tokens(_ setup: Setup) throws -> JSONValue {
        try JSONParser.parse(String(contentsOfFile: OAuthLoginTests.tokenFile(setup), encoding: .utf8))
    }

    static func string(_ json: JSONValue, _ key: String) throws -> String {
        try #require(json[key]?.stringValue, "\(key) missing from the token file")
    }

    /// `scheme://host:port` of a URL.
    static func origin(_ url: String) throws -> String {
        let components = try #require(URLComponents(string: url))
        return "\(components.scheme ?? "http")://\(components.host ?? "")" + (components.port.map { ":\($0)" } ?? "")
    }

    static func send(_ request: HTTPClientRequest) async throws -> (status: Int, body: [UInt8]) {
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let response = try await client.execute(request, timeout: .seconds(5))
            var body = try await response.body.collect(upTo: 1 << 20)
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            try await client.shutdown()
            return (Int(response.status.code), bytes)
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    static func postForm(_ url: String, _ fields: [(String, String)]) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let body = fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? $0.1)" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request).status
    }

    /// The sandbox's `GET /sandbox/oauth-stats` counters.
    static func stats(_ setup: Setup) async throws -> JSONValue {
        let origin = try origin(try string(tokens(setup), "token_endpoint"))
        let (status, body) = try await send(HTTPClientRequest(url: origin + "/sandbox/oauth-stats"))
        #expect(status == 200)
        return try JSONParser.parse(body)
    }

    /// Whether the sandbox's MCP endpoint lets a request carrying `token` past its authorization check
    /// (it may still refuse a session-less request for MCP reasons, with 400 or 404: not 401 or 403).
    static func accepted(_ setup: Setup, token: String) async throws -> Bool {
        let status = try await mcpStatus(setup, token: token)
        return status != 401 && status != 403
    }

    /// The status the sandbox's MCP endpoint gives a `ping` carrying `token`.
    static func mcpStatus(_ setup: Setup, token: String) async throws -> Int {
        var request = HTTPClientRequest(url: try string(tokens(setup), "resource"))
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "application/json, text/event-stream")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.body = .bytes(ByteBuffer(string: #"{"jsonrpc":"2.0","id":1,"method":"ping"}"#))
        return try await send(request).status
    }

    /// Revokes the access token the token file holds, so its next use is refused (401) and refreshed.
    static func revokeStoredAccessToken(_ setup: Setup) async throws {
        let file = try tokens(setup)
        #expect(try await postForm(try string(file, "revocation_endpoint"), [("token", try string(file, "access_token"))]) == 200)
    }

    /// Sends every request at once, then reads until each one is answered (answers may come in any order).
    static func callAll(_ proxy: ProxyProcess, ids: [Int], method: String = "tools/call",
                        params: JSONValue = ["name": "API-get-self", "arguments": [:]]) async throws -> [Int: JSONValue] {
        for id in ids { proxy.request(id, method, params) }
        var answers: [Int: JSONValue] = [:]
        while answers.count < ids.count {
            let message = try await proxy.next(timeout: .seconds(15))
            if message["method"] == nil, let id = message["id"]?.intValue, ids.contains(id) { answers[id] = message }
        }
        return answers
    }

    static func expectSuccess(_ reply: JSONValue?, _ context: @autoclosure () -> String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(reply?["result"] != nil, "\(String(describing: reply)) \(context())", sourceLocation: sourceLocation)
        #expect(reply?["result"]?["isError"] != true, "\(String(describing: reply)) \(context())", sourceLocation: sourceLocation)
    }

    /// Every secret in `secrets` that shows up in `text`, by label (never the secret itself).
    static func leaks(_ secrets: [String: String], in text: String) -> [String] {
        secrets.filter { !$0.value.isEmpty && text.contains($0.value) }.map(\.key).sorted()
    }

    // MARK: Tests

    @Test("an access token revoked behind the proxy's back: 401, refresh, retry, and the call succeeds")
    func refreshOn401() async throws {
        let setup = try await OAuthLoginTests.setUp()
        let login = try await OAuthLoginTests.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        let before = try Self.tokens(setup)
        let access = try Self.string(before, "access_token")
        let refresh = try Self.string(before, "refresh_token")
        let proxy = try ProxyProcess(["serve", "--config", setup.config.path, "--log-level", "debug"])
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1)
            #expect(reply["result"]?["serverInfo"] != nil, "\(reply) \(proxy.stderr)")
            let statsBefore = try await Self.stats(setup)
            #expect(statsBefore["refreshes"] == 0, "a one-hour token needs no refresh yet: \(statsBefore)")

            let revocation = try Self.string(before, "revocation_endpoint")
            #expect(try await Self.postForm(revocation, [("token", access)]) == 200)
            #expect(try await Self.mcpStatus(setup, token: access) == 401, "the revoked token is refused at the MCP endpoint")

            proxy.request(2, "tools/call", ["name": "API-get-self", "arguments": [:]])
            let (me, _) = try await proxy.response(to: 2, timeout: .seconds(15))
            Self.expectSuccess(me, proxy.stderr)

            let after = try Self.tokens(setup)
            let newAccess = try Self.string(after, "access_token")
            #expect(newAccess != access, "the proxy refreshed after the 401 and saved the new token")
            #expect(try Self.string(after, "refresh_token") != refresh, "the sandbox rotates the refresh token")
            #expect(try await Self.accepted(setup, token: newAccess))
            let stats = try await Self.stats(setup)
            #expect(stats["refreshes"] == 1, "one 401, one refresh: \(stats)")
            #expect(stats["invalid_grants"] == 0, "\(stats)")

            proxy.request(3, "tools/call", ["name": "API-get-self", "arguments": [:]])
            let (again, _) = try await proxy.response(to: 3)
            Self.expectSuccess(again, proxy.stderr)
            #expect(try await Self.stats(setup)["refreshes"] == 1, "the new token is used as it is")

            let secrets = ["old access token": access, "old refresh token": refresh, "new access token": newAccess,
                           "new refresh token": try Self.string(after, "refresh_token")]
            #expect(Self.leaks(secrets, in: proxy.stderr).isEmpty, "serve logged \(Self.leaks(secrets, in: proxy.stderr))")
            #expect(Self.leaks(secrets, in: login.stderr).isEmpty, "login logged \(Self.leaks(secrets, in: login.stderr))")
            #expect(Self.leaks(secrets, in: setup.sandbox.stderr).isEmpty, "the sandbox logged \(Self.leaks(secrets, in: setup.sandbox.stderr))")
        }
    }

    @Test("two proxies sharing one token store refresh at the same time without spending a refresh token twice")
    func twoProcessesRefreshing() async throws {
        // Each round starts by revoking the stored access token both processes hold, so both get a 401
        // and race to refresh: one spends the refresh token, the other must take its result from the file.
        let setup = try await OAuthLoginTests.setUp(sandbox: ["--access-token-ttl", "30s"])
        let login = try await OAuthLoginTests.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        let seen = Mutex<[String: String]>([:])
        func remember(_ label: String) {
            guard let json = try? Self.tokens(setup) else { return }
            seen.withLock { secrets in
                if let access = json["access_token"]?.stringValue { secrets["access token (\(label))"] = access }
                if let refresh = json["refresh_token"]?.stringValue { secrets["refresh token (\(label))"] = refresh }
            }
        }
        remember("login")
        let first = try ProxyProcess(["serve", "--config", setup.config.path, "--log-level", "info"])
        let second = try ProxyProcess(["serve", "--config", setup.config.path, "--log-level", "info"])
        try await stopping([first, second, setup.sandbox]) {
            async let a = first.response(to: 1, timeout: .seconds(15))
            async let b = second.response(to: 1, timeout: .seconds(15))
            first.request(1, "initialize", initializeParams)
            second.request(1, "initialize", initializeParams)
            let (replyA, replyB) = try await (a, b)
            #expect(replyA.0["result"]?["serverInfo"] != nil, "\(replyA.0) \(first.stderr)")
            #expect(replyB.0["result"]?["serverInfo"] != nil, "\(replyB.0) \(second.stderr)")

            let perRound = 4, rounds = 3
            for round in 0..<rounds {
                try await Self.revokeStoredAccessToken(setup)
                let ids = (0..<perRound).map { 100 * (round + 1) + $0 }
                async let answersA = Self.callAll(first, ids: ids)
                async let answersB = Self.callAll(second, ids: ids)
                let (fromA, fromB) = try await (answersA, answersB)
                for id in ids {
                    Self.expectSuccess(fromA[id], "first process, round \(round): \(first.stderr)")
                    Self.expectSuccess(fromB[id], "second process, round \(round): \(second.stderr)")
                }
                remember("round \(round)")
            }

            let stats = try await Self.stats(setup)
            #expect(stats["invalid_grants"] == 0, "a refresh token was spent twice: \(stats)")
            #expect((stats["refreshes"]?.intValue ?? 0) >= rounds, "a refresh every round: \(stats)")
            #expect((first.stderr + second.stderr).contains("refreshed the access token"))
            for process in [first, second] {
                #expect(!process.stderr.contains("refresh token was refused"), "\(process.stderr)")
                #expect(!process.stderr.contains("auth login"), "\(process.stderr)")
            }
            let file = try Self.tokens(setup)
            #expect(try await Self.accepted(setup, token: try Self.string(file, "access_token")),
                    "the token file holds a live token, the family was never revoked")

            let secrets = seen.withLock { $0 }
            for (name, text) in [("first serve", first.stderr), ("second serve", second.stderr), ("login", login.stderr),
                                 ("sandbox", setup.sandbox.stderr)] {
                #expect(Self.leaks(secrets, in: text).isEmpty, "\(name) logged \(Self.leaks(secrets, in: text))")
            }
        }
    }

    @Test("after a revocation both proxies get a 401, but only one refreshes: the other re-reads the file under the lock")
    func secondProcessUsesFirstsToken() async throws {
        let setup = try await OAuthLoginTests.setUp()
        let login = try await OAuthLoginTests.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        let before = try Self.tokens(setup)
        let first = try ProxyProcess(["serve", "--config", setup.config.path, "--log-level", "info"])
        let second = try ProxyProcess(["serve", "--config", setup.config.path, "--log-level", "info"])
        try await stopping([first, second, setup.sandbox]) {
            async let a = Self.callAll(first, ids: [1], method: "initialize", params: initializeParams)
            async let b = Self.callAll(second, ids: [1], method: "initialize", params: initializeParams)
            let (initA, initB) = try await (a, b)
            #expect(initA[1]?["result"] != nil && initB[1]?["result"] != nil, "\(initA) \(initB)")
            #expect(try await Self.postForm(try Self.string(before, "revocation_endpoint"),
                                            [("token", try Self.string(before, "access_token"))]) == 200)
            // One call each, at the same time: both send the revoked token and get a 401.
            async let callA = Self.callAll(first, ids: [2])
            async let callB = Self.callAll(second, ids: [2])
            let (fromA, fromB) = try await (callA, callB)
            Self.expectSuccess(fromA[2], "first: \(first.stderr)")
            Self.expectSuccess(fromB[2], "second: \(second.stderr)")
            let stats = try await Self.stats(setup)
            #expect(stats["refreshes"] == 1, "one revocation, one refresh for both processes: \(stats)")
            #expect(stats["invalid_grants"] == 0, "\(stats)")
            let refreshed = [first, second].filter { $0.stderr.contains("refreshed the access token") }.count
            #expect(refreshed == 1, "exactly one of the two processes refreshed")
        }
    }

    /// Several requests in flight with a token that was just revoked all get a 401. The first one's
    /// refresh is enough for all of them: a 401 for a token that has already been replaced must
    /// retry with the replacement, not refresh again (each needless refresh rotates the refresh
    /// token, and with a server that retires the previous access token on refresh, it would fail
    /// the requests retrying with the token just replaced).
    @Test("a burst of 401s for the same revoked token costs one refresh, not one per request")
    func burstOf401sRefreshesOnce() async throws {
        let setup = try await OAuthLoginTests.setUp()
        let login = try await OAuthLoginTests.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        let before = try Self.tokens(setup)
        let proxy = try ProxyProcess(["serve", "--config", setup.config.path, "--log-level", "info"])
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1)
            #expect(reply["result"] != nil, "\(reply)")
            #expect(try await Self.postForm(try Self.string(before, "revocation_endpoint"),
                                            [("token", try Self.string(before, "access_token"))]) == 200)
            let ids = Array(2...9)
            let answers = try await Self.callAll(proxy, ids: ids)
            for id in ids { Self.expectSuccess(answers[id], proxy.stderr) }
            let stats = try await Self.stats(setup)
            #expect(stats["refreshes"] == 1, "8 requests refused for one revoked token: \(stats)")
            #expect(stats["invalid_grants"] == 0, "\(stats)")
        }
    }

    /// The same as `burstOf401sRefreshesOnce`, step by step through `TokenManager`: request A and B
    /// were both sent with token T1, which was revoked; A's 401 refreshes to T2; B's 401 comes in
    /// afterwards. B's retry needs T2, not another refresh. `rejected()` is not told which token was
    /// refused, so it takes the 401 as a refusal of T2 and refreshes again.
    @Test("a late 401 for a token already replaced does not refresh again (TokenManager, deterministic)")
    func lateRejectionDoesNotRefreshAgain() async throws {
        let setup = try await OAuthLoginTests.setUp()
        let login = try await OAuthLoginTests.login(setup)
        #expect(await login.waitForExit() == 0, "\(login.stderr)")
        try await stopping([setup.sandbox]) {
            let store = TokenStore(directory: "\(setup.home.path)/state/tokens")
            let manager = TokenManager(upstream: setup.upstream, store: store, logger: Logger(label: "test"))
            let t1 = try await manager.authorizationHeader()
            #expect(try await Self.postForm(try Self.string(try Self.tokens(setup), "revocation_endpoint"),
                                            [("token", String(t1.dropFirst("Bearer ".count)))]) == 200)
            #expect(try await manager.rejected(t1), "request A's 401: refreshed")
            let t2 = try await manager.authorizationHeader()
            #expect(t2 != t1)
            #expect(try await Self.stats(setup)["refreshes"] == 1)
            _ = try await manager.rejected(t1)  // request B's 401, for T1
            #expect(try await Self.stats(setup)["refreshes"] == 1, "the 401 was for T1, which T2 already replaced")
        }
    }

    @Test("no token, authorization code or PKCE verifier appears in any process's stderr, even at trace level")
    func nothingSecretLogged() async throws {
        let setup = try await OAuthLoginTests.setUp(sandbox: ["--access-token-ttl", "30s", "--log-level", "trace"])
        // The login of OAuthLoginTests.login, keeping the authorization URL and the redirect (with the code).
        let login = try ProxyProcess(["auth", "login", "--config", setup.config.path, "--upstream", setup.upstream,
                                      "--log-level", "trace"], environment: ["DISPLAY": ""])
        let deadline = ContinuousClock.now + .seconds(10)
        var authorizeURL: String?
        while authorizeURL == nil, ContinuousClock.now < deadline {
            authorizeURL = login.stderr.firstMatch(of: /\s(http:\/\/127\.0\.0\.1:\d+\/authorize\?\S+)/).map { String($0.1) }
            if authorizeURL == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        let url = try #require(authorizeURL, "no authorization URL printed: \(login.stderr)")
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        let response = try await client.execute(HTTPClientRequest(url: url), timeout: .seconds(5))
        let location = try #require(response.headers.first(name: "Location"))
        _ = try await client.execute(HTTPClientRequest(url: location), timeout: .seconds(5))
        try await client.shutdown()
        #expect(await login.waitForExit() == 0, "\(login.stderr)")

        let query = URLComponents(string: location)?.queryItems ?? []
        let code = try #require(query.first { $0.name == "code" }?.value)
        let challenge = try #require(URLComponents(string: url)?.queryItems?.first { $0.name == "code_challenge" }?.value)
        var secrets = ["authorization code": code]
        let initial = try Self.tokens(setup)
        secrets["login access token"] = try Self.string(initial, "access_token")
        secrets["login refresh token"] = try Self.string(initial, "refresh_token")

        let proxy = try ProxyProcess(["serve", "--config", setup.config.path, "--log-level", "trace"])
        try await stopping([proxy, setup.sandbox]) {
            proxy.request(1, "initialize", initializeParams)
            let (reply, _) = try await proxy.response(to: 1)
            #expect(reply["result"] != nil, "\(reply)")
            for id in 2...3 {
                // A revoked access token: the call gets a 401, refreshes, and goes on with new tokens.
                try await Self.revokeStoredAccessToken(setup)
                proxy.request(id, "tools/call", ["name": "API-get-self", "arguments": [:]])
                let (me, _) = try await proxy.response(to: .number(JSONNumber(id)))
                Self.expectSuccess(me, proxy.stderr)
                let now = try Self.tokens(setup)
                secrets["access token \(id)"] = try Self.string(now, "access_token")
                secrets["refresh token \(id)"] = try Self.string(now, "refresh_token")
            }
            // A revoked token and the 401 path, too.
            let current = try Self.string(try Self.tokens(setup), "access_token")
            #expect(try await Self.postForm(try Self.string(initial, "revocation_endpoint"), [("token", current)]) == 200)
            proxy.request(4, "tools/call", ["name": "API-get-self", "arguments": [:]])
            Self.expectSuccess(try await proxy.response(to: 4).0, proxy.stderr)
            let last = try Self.tokens(setup)
            secrets["access token 4"] = try Self.string(last, "access_token")
            secrets["refresh token 4"] = try Self.string(last, "refresh_token")
            #expect(Set(secrets.values).count == secrets.count, "every refresh gave new tokens")

            let logs = [("login", login.stderr), ("serve", proxy.stderr), ("sandbox", setup.sandbox.stderr)]
            for (name, text) in logs {
                #expect(Self.leaks(secrets, in: text).isEmpty, "\(name) logged \(Self.leaks(secrets, in: text))")
                // Codes, tokens and the verifier are all 43 base64url characters (32 random bytes); the
                // only such string a log may carry is the challenge, in the URL shown to the user.
                let suspects = Set(text.matches(of: /[A-Za-z0-9_-]+/).map { String($0.0) }.filter { $0.count == 43 })
                    .subtracting([challenge])
                #expect(suspects.isEmpty, "\(name) logged \(suspects.count) secret-looking 43-character string(s)")
            }
            #expect(login.stderr.contains(challenge), "the authorization URL (with the challenge, not the verifier) is shown")
        }
    }
}
