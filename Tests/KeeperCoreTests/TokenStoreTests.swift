import Foundation
import Synchronization
import Testing
@testable import KeeperCore

#if canImport(Glibc)
import Glibc
#endif

/// The token store on disk (modes, atomic writes, refusing what it cannot use without touching it),
/// its optional encryption, and the small OAuth helpers: expiry, PKCE, base64url, the file lock and
/// the discovery URL rules.
@Suite("Token store, token encryption and OAuth helpers")
struct TokenStoreTests {
    static let hexKey = String(repeating: "0123456789abcdef", count: 4)
    static let otherHexKey = String(repeating: "fedcba9876543210", count: 4)
    static let base64Key = Data((0..<32).map { UInt8($0 * 7 % 256) }).base64EncodedString()
    static let accessToken = "access-SECRET-4f1c2b9a7d"
    static let refreshToken = "refresh-SECRET-8e3a6c1f0b"

    static func sampleTokens() -> OAuthTokens {
        var tokens = OAuthTokens(clientID: "client-123", tokenEndpoint: "http://127.0.0.1:9/token", accessToken: accessToken)
        tokens.clientSecret = "client-secret-xyz"
        tokens.revocationEndpoint = "http://127.0.0.1:9/revoke"
        tokens.resource = "http://127.0.0.1:9/mcp"
        tokens.refreshToken = refreshToken
        // Whole seconds: the file stores expires_at in seconds.
        tokens.expiresAt = Date(timeIntervalSince1970: 1_900_000_000)
        tokens.scope = "notion:read notion:write"
        return tokens
    }

    /// A fresh directory removed when `body` ends (also when it throws).
    static func withTemporaryDirectory<T>(_ body: (String) async throws -> T) async throws -> T {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mcpkeeper-tokenstore-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: url) }
        return try await body(url.path)
    }

    static func mode(_ path: String) -> mode_t {
        var info = stat()
        guard stat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o777
    }

    static func bytes(_ path: String) -> [UInt8]? {
        FileManager.default.contents(atPath: path).map(Array.init)
    }

    /// Writes `text` as the token file (mode 0600, directory created 0700) without going through the store.
    static func plant(_ text: String, at path: String) throws {
        try SecureFile.createDirectory(forFile: path)
        try SecureFile.writeAtomically(Array(text.utf8), to: path)
    }

    /// The `.store` error's reason, or a failing expectation.
    static func storeReason(_ error: AuthError?, sourceLocation: SourceLocation = #_sourceLocation) -> String {
        guard case .store(_, let reason)? = error else {
            Issue.record("expected AuthError.store, got \(String(describing: error))", sourceLocation: sourceLocation)
            return ""
        }
        return reason
    }

    // MARK: TokenStore

    @Test("save then load gives back the same tokens")
    func roundTrip() async throws {
        try await Self.withTemporaryDirectory { dir in
            let store = TokenStore(directory: "\(dir)/state/tokens")
            #expect(try store.load("hosted") == nil, "no file yet means no tokens, not an error")
            let tokens = Self.sampleTokens()
            try store.save(tokens, for: "hosted")
            #expect(try store.load("hosted") == tokens)
            var minimal = OAuthTokens(clientID: "c", tokenEndpoint: "http://x/token", accessToken: "a")
            try store.save(minimal, for: "other")
            #expect(try store.load("other") == minimal)
            minimal.accessToken = "b"
            try store.save(minimal, for: "other")
            #expect(try store.load("other")?.accessToken == "b", "saving again replaces the file")
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.directory).filter { $0.contains(".tmp-") }
            #expect(leftovers.isEmpty, "no temporary file is left behind: \(leftovers)")
        }
    }

    @Test("the token file is 0600 and the directories it creates are 0700")
    func modes() async throws {
        try await Self.withTemporaryDirectory { dir in
            let store = TokenStore(directory: "\(dir)/state/tokens")
            try store.save(Self.sampleTokens(), for: "hosted")
            #expect(Self.mode(store.path(for: "hosted")) == 0o600)
            #expect(Self.mode(store.directory) == 0o700)
            #expect(Self.mode("\(dir)/state") == 0o700)
        }
    }

    @Test("a token file others can read is refused with the chmod fix, and left alone")
    func loosePermissions() async throws {
        try await Self.withTemporaryDirectory { dir in
            let store = TokenStore(directory: dir)
            try store.save(Self.sampleTokens(), for: "hosted")
            let path = store.path(for: "hosted")
            chmod(path, 0o644)
            let before = Self.bytes(path)
            let error = #expect(throws: AuthError.self) { try store.load("hosted") }
            #expect(Self.storeReason(error).contains("chmod 600 \(path)"), "\(String(describing: error))")
            #expect("\(String(describing: error))".contains("chmod 600 \(path)"))
            #expect(Self.bytes(path) == before)
            #expect(Self.mode(path) == 0o644, "the store reports the fix; it does not change the mode itself")
            chmod(path, 0o640)
            #expect(throws: AuthError.self) { try store.load("hosted") }
        }
    }

    @Test("a token file that is not JSON is refused, and left byte for byte as it was",
          arguments: ["this is not json {", "", "{\"access_token\": ", "\u{FEFF}garbage\n\u{0}\u{1}"])
    func notJSON(content: String) async throws {
        try await Self.withTemporaryDirectory { dir in
            let store = TokenStore(directory: dir)
            let path = store.path(for: "hosted")
            try Self.plant(content, at: path)
            let before = Self.bytes(path)
            let error = #expect(throws: AuthError.self) { try store.load("hosted") }
            let reason = Self.storeReason(error)
            #expect(reason.contains("left as it is"), "\(reason)")
            #expect(Self.bytes(path) == before)
            #expect(Self.mode(path) == 0o600)
        }
    }

    @Test("a token file without access_token (or client_id, token_endpoint) is refused, and left as it was",
          arguments: [
              #"{"client_id": "c", "token_endpoint": "http://x/token", "refresh_token": "r"}"#,
              #"{"token_endpoint": "http://x/token", "access_token": "a"}"#,
              #"{"client_id": "c", "access_token": "a"}"#,
              #"{"client_id": "c", "token_endpoint": "http://x/token", "access_token": 42}"#,
              #"["client_id", "access_token"]"#,
          ])
    func missingFields(content: String) async throws {
        try await Self.withTemporaryDirectory { dir in
            let store = TokenStore(directory: dir)
            let path = store.path(for: "hosted")
            try Self.plant(content, at: path)
            let before = Self.bytes(path)
            let error = #expect(throws: AuthError.self) { try store.load("hosted") }
            let reason = Self.storeReason(error)
            #expect(reason.contains("left as it is"), "\(reason)")
            #expect(Self.bytes(path) == before)
        }
    }

    // MARK: Encryption

    @Test("encrypted token files round-trip with a hex or a base64 key; the file never shows the tokens",
          arguments: [hexKey, base64Key, "  \(hexKey)\n", "\(base64Key)\n"])
    func encryptedRoundTrip(key: String) async throws {
        try await Self.withTemporaryDirectory { dir in
            let store = TokenStore(directory: dir, cipher: try TokenCipher(keyText: key))
            let tokens = Self.sampleTokens()
            try store.save(tokens, for: "hosted")
            let path = store.path(for: "hosted")
            let text = String(decoding: try #require(Self.bytes(path)), as: UTF8.self)
            #expect(!text.contains(Self.accessToken))
            #expect(!text.contains(Self.refreshToken))
            #expect(!text.contains("client-secret-xyz"))
            #expect(text.contains("aes-256-gcm"))
            #expect(Self.mode(path) == 0o600)
            #expect(try store.load("hosted") == tokens)
        }
    }

    @Test("a file encrypted with another key is refused as a wrong key, and left as it was")
    func wrongKey() async throws {
        try await Self.withTemporaryDirectory { dir in
            try TokenStore(directory: dir, cipher: try TokenCipher(keyText: Self.hexKey)).save(Self.sampleTokens(), for: "hosted")
            let store = TokenStore(directory: dir, cipher: try TokenCipher(keyText: Self.otherHexKey))
            let path = store.path(for: "hosted")
            let before = Self.bytes(path)
            let error = #expect(throws: AuthError.self) { try store.load("hosted") }
            let reason = Self.storeReason(error)
            #expect(reason.contains("wrong key"), "\(reason)")
            #expect(reason.contains("left as it is"), "\(reason)")
            #expect(!reason.contains(Self.accessToken))
            #expect(Self.bytes(path) == before)
        }
    }

    @Test("a tampered encrypted file is refused, not decrypted")
    func tampered() async throws {
        try await Self.withTemporaryDirectory { dir in
            let store = TokenStore(directory: dir, cipher: try TokenCipher(keyText: Self.hexKey))
            try store.save(Self.sampleTokens(), for: "hosted")
            let path = store.path(for: "hosted")
            var json = try JSONParser.parse(try #require(Self.bytes(path))).objectValue ?? [:]
            let sealedText = try #require(json["data"]?.stringValue)
            var sealed = try #require(Data(base64Encoded: sealedText))
            sealed[sealed.count / 2] ^= 0x01
            json["data"] = .string(sealed.base64EncodedString())
            try Self.plant(JSONValue.object(json).serialized(), at: path)
            let before = Self.bytes(path)
            #expect(throws: AuthError.self) { try store.load("hosted") }
            #expect(Self.bytes(path) == before)
        }
    }

    @Test("an encrypted file with no key configured says so")
    func encryptedWithoutKey() async throws {
        try await Self.withTemporaryDirectory { dir in
            try TokenStore(directory: dir, cipher: try TokenCipher(keyText: Self.hexKey)).save(Self.sampleTokens(), for: "hosted")
            let store = TokenStore(directory: dir)
            let path = store.path(for: "hosted")
            let before = Self.bytes(path)
            let error = #expect(throws: AuthError.self) { try store.load("hosted") }
            let reason = Self.storeReason(error)
            #expect(reason.contains("encrypted"), "\(reason)")
            #expect(reason.contains("no key"), "\(reason)")
            #expect(reason.contains("key_env") || reason.contains("key_file"), "\(reason)")
            #expect(Self.bytes(path) == before)
        }
    }

    @Test("TokenStore.configured: key_env unset names the variable and how to make a key")
    func configuredKeyEnvUnset() throws {
        for environment in [[:], ["MCPKEEPER_TOKEN_KEY": ""]] {
            let error = #expect(throws: AuthError.self) {
                try TokenStore.configured(stateDirectory: "/tmp/x", key: .environment("MCPKEEPER_TOKEN_KEY"), environment: environment)
            }
            let reason = Self.storeReason(error)
            #expect(reason.contains("MCPKEEPER_TOKEN_KEY"), "\(reason)")
            #expect(reason.contains("openssl rand -hex 32"), "\(reason)")
        }
    }

    @Test("TokenStore.configured: the directory, with and without a key")
    func configured() async throws {
        let plain = try TokenStore.configured(stateDirectory: "/var/lib/keeper", key: nil, environment: [:])
        #expect(plain.directory == "/var/lib/keeper/tokens")
        #expect(plain.cipher == nil)
        let fromEnv = try TokenStore.configured(stateDirectory: "/s", key: .environment("K"), environment: ["K": Self.hexKey])
        #expect(fromEnv.cipher != nil)
        #expect(fromEnv.directory == "/s/tokens")
        try await Self.withTemporaryDirectory { dir in
            let keyFile = "\(dir)/key"
            try Self.plant(Self.hexKey + "\n", at: keyFile)
            #expect(try TokenStore.configured(stateDirectory: dir, key: .file(keyFile), environment: [:]).cipher != nil)
            let missing = #expect(throws: AuthError.self) {
                try TokenStore.configured(stateDirectory: dir, key: .file("\(dir)/absent"), environment: [:])
            }
            #expect(Self.storeReason(missing).contains("openssl rand -hex 32"))
        }
    }

    @Test("a key that is not 32 bytes is refused with how to make one",
          arguments: ["abcd", String(hexKey.dropLast(2)), hexKey + "00", "zz" + String(hexKey.dropFirst(2)),
                      Data(count: 16).base64EncodedString(), "", "   "])
    func badKey(text: String) throws {
        let error = #expect(throws: AuthError.self) { try TokenCipher(keyText: text) }
        #expect(Self.storeReason(error).contains("openssl rand -hex 32"))
        let environmentError = #expect(throws: AuthError.self) {
            try TokenStore.configured(stateDirectory: "/tmp/x", key: .environment("K"), environment: ["K": text])
        }
        #expect(environmentError != nil)
    }

    /// `UInt8("+f", radix: 16)` is 15: Swift's integer parsing accepts a sign, so a 64-character key
    /// with '+' or '-' in place of hex digits passes as "hex" with fewer key bits than it claims.
    @Test("a 64-character key that is not hex digits (signs included) is refused")
    func signedHexKey() throws {
        let plus = String(repeating: "+0", count: 32)
        #expect(throws: AuthError.self, "\"+0+0…\" is not 64 hex digits (it decodes to 32 zero bytes)") { try TokenCipher(keyText: plus) }
        let minus = String(repeating: "-0", count: 32)
        #expect(throws: AuthError.self, "\"-0-0…\" is not 64 hex digits") { try TokenCipher(keyText: minus) }
    }

    @Test("TokenCipher's output never contains the plaintext, and differs each time")
    func cipherHidesPlaintext() throws {
        let cipher = try TokenCipher(keyText: Self.hexKey)
        let plaintext = Array(#"{"access_token":"\#(Self.accessToken)","refresh_token":"\#(Self.refreshToken)"}"#.utf8)
        let first = try cipher.seal(plaintext)
        let second = try cipher.seal(plaintext)
        #expect(TokenCipher.isSealed(first))
        #expect(!TokenCipher.isSealed(JSONValue.object(["access_token": "a"])))
        for sealed in [first, second] {
            let text = sealed.serialized()
            #expect(!text.contains(Self.accessToken))
            #expect(!text.contains(Self.refreshToken))
            #expect(!text.contains("access_token"))
            let dataText = try #require(sealed["data"]?.stringValue)
            let data = try #require(Data(base64Encoded: dataText))
            #expect(data.range(of: Data(Self.accessToken.utf8)) == nil)
        }
        #expect(first != second, "a fresh nonce each time")
        #expect(try cipher.open(first, path: "p") == plaintext)
        #expect(try cipher.open(second, path: "p") == plaintext)
        let other = try TokenCipher(keyText: Self.base64Key)
        #expect(throws: AuthError.self) { try other.open(first, path: "p") }
        #expect(throws: AuthError.self) { try cipher.open(["mcpkeeper_encrypted": "rot13", "data": "abc"], path: "p") }
    }

    // MARK: OAuthTokens

    @Test("expires(within:of:) at its edges")
    func expiry() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var tokens = OAuthTokens(clientID: "c", tokenEndpoint: "t", accessToken: "a")
        #expect(!tokens.expires(within: .seconds(60), of: now), "no stated expiry: never")
        #expect(!tokens.expires(within: .seconds(1_000_000_000), of: now))
        tokens.expiresAt = now.addingTimeInterval(60)
        #expect(tokens.expires(within: .seconds(60), of: now), "exactly at the skew counts as expiring")
        #expect(!tokens.expires(within: .seconds(59), of: now))
        #expect(!tokens.expires(within: .milliseconds(59_999), of: now))
        #expect(tokens.expires(within: .milliseconds(60_001), of: now))
        #expect(tokens.expires(within: .seconds(61), of: now))
        #expect(!tokens.expires(within: .zero, of: now))
        tokens.expiresAt = now
        #expect(tokens.expires(within: .zero, of: now), "expiring this instant")
        tokens.expiresAt = now.addingTimeInterval(-3600)
        #expect(tokens.expires(within: .zero, of: now), "already expired")
        #expect(tokens.expires(within: .seconds(60), of: now))
        tokens.expiresAt = now.addingTimeInterval(30)
        #expect(tokens.expires(within: .seconds(60), of: now), "a 30 s token with the 60 s skew refreshes at once")
    }

    @Test("apply(tokenResponse:) keeps the refresh token unless rotated, and needs an access_token")
    func applyResponse() throws {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        var tokens = Self.sampleTokens()
        try tokens.apply(tokenResponse: ["access_token": "new-access", "expires_in": 30], now: now)
        #expect(tokens.accessToken == "new-access")
        #expect(tokens.refreshToken == Self.refreshToken)
        #expect(tokens.expiresAt == now.addingTimeInterval(30))
        try tokens.apply(tokenResponse: ["access_token": "newer", "refresh_token": "rotated", "scope": "notion:read"], now: now)
        #expect(tokens.refreshToken == "rotated")
        #expect(tokens.expiresAt == nil, "no expires_in: no stated expiry")
        #expect(tokens.scope == "notion:read")
        #expect(throws: AuthError.self) { try tokens.apply(tokenResponse: ["token_type": "Bearer"], now: now) }
        #expect(tokens.accessToken == "newer")
    }

    // MARK: PKCE and base64url

    /// RFC 7636 Appendix B's challenge is "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM" (checked against
    /// the RFC text and an independent SHA-256 + base64url).
    @Test("PKCE S256 matches RFC 7636 Appendix B")
    func pkceAppendixB() {
        #expect(PKCE.challenge(for: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk").challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    }

    @Test("a fresh PKCE verifier is 43 base64url characters, new each time")
    func pkceFresh() {
        let a = PKCE(), b = PKCE()
        #expect(a.verifier.count == 43)
        #expect(a.verifier != b.verifier)
        #expect(a.verifier.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
        #expect(a.challenge.count == 43)
        #expect(a.challenge != a.verifier)
    }

    @Test("Base64URL.encode: RFC 4648 vectors, no padding, - and _ instead of + and /")
    func base64URL() {
        let vectors = ["": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy"]
        for (input, output) in vectors {
            #expect(Base64URL.encode(Array(input.utf8)) == output, "\(input)")
        }
        #expect(Base64URL.encode([0xFB, 0xFF, 0xBF]) == "-_-_")
        #expect(Base64URL.encode([0xFB, 0xFF]) == "-_8")
        #expect(Base64URL.encode([0xFF]) == "_w")
        var generator = SystemRandomNumberGenerator()
        for count in 0..<40 {
            let bytes = (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
            let expected = Data(bytes).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            let encoded = Base64URL.encode(bytes)
            #expect(encoded == expected)
            #expect(!encoded.contains("=") && !encoded.contains("+") && !encoded.contains("/"))
        }
        let random = Base64URL.random(bytes: 24)
        #expect(random.count == 32)
        #expect(random != Base64URL.random(bytes: 24))
    }

    // MARK: FileLock

    @Test("two withLock bodies on the same path never overlap")
    func fileLockExcludes() async throws {
        try await Self.withTemporaryDirectory { dir in
            let path = "\(dir)/locks/hosted.lock"
            let events = Shared<[String]>([])
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<3 {
                    group.addTask {
                        for round in 0..<2 {
                            try await FileLock(path: path).withLock {
                                events.withLock { $0.append("enter \(worker).\(round)") }
                                try await Task.sleep(for: .milliseconds(30))
                                events.withLock { $0.append("exit \(worker).\(round)") }
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            let log = events.withLock { $0 }
            #expect(log.count == 12)
            for pair in stride(from: 0, to: log.count, by: 2) {
                let enter = log[pair], exit = log[pair + 1]
                #expect(enter.hasPrefix("enter "), "\(log)")
                #expect(exit == "exit " + enter.dropFirst("enter ".count), "bodies overlapped: \(log)")
            }
            #expect(Self.mode(path) == 0o600)
            // Released after each body, also after one that throws.
            struct Boom: Error {}
            await #expect(throws: Boom.self) { try await FileLock(path: path).withLock { throw Boom() } }
            let value = try await FileLock(path: path).withLock { 7 }
            #expect(value == 7)
        }
    }

    @Test("locks on different paths do not wait for each other")
    func fileLockIndependentPaths() async throws {
        try await Self.withTemporaryDirectory { dir in
            let inside = Shared(0), most = Shared(0)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for name in ["a", "b"] {
                    group.addTask {
                        try await FileLock(path: "\(dir)/\(name).lock").withLock {
                            let now = inside.withLock { $0 += 1; return $0 }
                            most.withLock { $0 = max($0, now) }
                            try await Task.sleep(for: .milliseconds(200))
                            inside.withLock { $0 -= 1 }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(most.withLock { $0 } == 2)
        }
    }

    // MARK: Discovery

    @Test("well-known URLs: inserted before the path, then at the root")
    func wellKnown() {
        #expect(OAuthDiscovery.wellKnown("https://mcp.notion.com/mcp", suffix: "oauth-protected-resource") == [
            "https://mcp.notion.com/.well-known/oauth-protected-resource/mcp",
            "https://mcp.notion.com/.well-known/oauth-protected-resource",
        ])
        #expect(OAuthDiscovery.wellKnown("https://auth.example.com", suffix: "oauth-authorization-server") == [
            "https://auth.example.com/.well-known/oauth-authorization-server",
        ])
        #expect(OAuthDiscovery.wellKnown("https://auth.example.com/", suffix: "oauth-authorization-server") == [
            "https://auth.example.com/.well-known/oauth-authorization-server",
        ])
        #expect(OAuthDiscovery.wellKnown("http://127.0.0.1:8123/v1/mcp", suffix: "openid-configuration") == [
            "http://127.0.0.1:8123/.well-known/openid-configuration/v1/mcp",
            "http://127.0.0.1:8123/.well-known/openid-configuration",
        ])
        #expect(OAuthDiscovery.wellKnown("http://[::1]:8123/mcp", suffix: "oauth-protected-resource") == [
            "http://[::1]:8123/.well-known/oauth-protected-resource/mcp",
            "http://[::1]:8123/.well-known/oauth-protected-resource",
        ])
        #expect(OAuthDiscovery.wellKnown("https://example.com/mcp?x=1", suffix: "oauth-protected-resource").first
            == "https://example.com/.well-known/oauth-protected-resource/mcp")
        #expect(OAuthDiscovery.wellKnown("not a url", suffix: "oauth-protected-resource").isEmpty)
        #expect(OAuthDiscovery.wellKnown("/relative/only", suffix: "oauth-protected-resource").isEmpty)
    }

    /// RFC 8414 §3.1: "any terminating '/' MUST be removed before inserting '/.well-known/'".
    @Test("well-known URLs drop a trailing slash of the path (RFC 8414 §3.1)")
    func wellKnownTrailingSlash() {
        #expect(OAuthDiscovery.wellKnown("https://example.com/issuer1/", suffix: "oauth-authorization-server").first
            == "https://example.com/.well-known/oauth-authorization-server/issuer1")
    }

    @Test("resource_metadata from a WWW-Authenticate challenge")
    func resourceMetadataParameter() {
        let url = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp"
        #expect(OAuthDiscovery.resourceMetadataParameter("Bearer resource_metadata=\"\(url)\"") == url)
        #expect(OAuthDiscovery.resourceMetadataParameter(
            "Bearer realm=\"mcp\", error=\"invalid_token\", error_description=\"expired\", resource_metadata=\"\(url)\"") == url)
        #expect(OAuthDiscovery.resourceMetadataParameter("Bearer resource_metadata=\"\(url)\", scope=\"notion:read\"") == url)
        #expect(OAuthDiscovery.resourceMetadataParameter("Bearer realm=\"mcp\"") == nil)
        #expect(OAuthDiscovery.resourceMetadataParameter("Bearer") == nil)
        #expect(OAuthDiscovery.resourceMetadataParameter("") == nil)
        #expect(OAuthDiscovery.resourceMetadataParameter("Bearer resource_metadata=\"unterminated") == nil)
        #expect(OAuthDiscovery.resourceMetadataParameter("Bearer resource_metadata=\"\"") == "")
    }

    /// RFC 9110 §11.2: auth-param names are matched case-insensitively.
    @Test("resource_metadata is found whatever the case of the parameter name (RFC 9110 §11.2)")
    func resourceMetadataParameterCase() {
        let url = "https://mcp.example.com/.well-known/oauth-protected-resource"
        #expect(OAuthDiscovery.resourceMetadataParameter("Bearer Resource_Metadata=\"\(url)\"") == url)
    }
}

/// A value tasks share, behind a lock.
final class Shared<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<T: Sendable>(_ body: (inout Value) -> T) -> T { mutex.withLock { body(&$0) } }
}
