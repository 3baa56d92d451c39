import Foundation
import Logging
import Testing
@testable import KeeperCore

/// The refresh margin scales with the token's lifetime, so short-lived tokens are not refreshed on
/// every request.
@Suite("OAuth refresh margin")
struct RefreshMarginTests {
    static let issued = Date(timeIntervalSince1970: 1_800_000_000)

    static func tokens(lifetime: TimeInterval?) -> OAuthTokens {
        // A scheme no HTTP client speaks: a refresh attempt fails at once, without the network.
        var tokens = OAuthTokens(clientID: "c", tokenEndpoint: "unreachable://token", accessToken: "access-1")
        tokens.refreshToken = "refresh-1"
        tokens.issuedAt = lifetime == nil ? nil : issued
        tokens.expiresAt = issued.addingTimeInterval(lifetime ?? 30)
        return tokens
    }

    @Test("the margin is 60 s, or a tenth of the lifetime when that is shorter; 60 s when the lifetime is unknown",
          arguments: [(3600.0, 60_000), (600.0, 60_000), (30.0, 3_000), (5.0, 500), (nil, 60_000)] as [(Double?, Int64)])
    func margin(lifetime: Double?, milliseconds: Int64) {
        #expect(Self.tokens(lifetime: lifetime).refreshMargin(maximum: .seconds(60)) == .milliseconds(milliseconds))
    }

    @Test("a token response records when the token was issued, and the file keeps it")
    func issuedAtIsStored() throws {
        var tokens = OAuthTokens(clientID: "c", tokenEndpoint: "t", accessToken: "a")
        try tokens.apply(tokenResponse: ["access_token": "b", "expires_in": 30], now: Self.issued)
        #expect(tokens.issuedAt == Self.issued)
        #expect(OAuthTokens(json: tokens.json)?.refreshMargin(maximum: .seconds(60)) == .seconds(3))
        try tokens.apply(tokenResponse: ["access_token": "c"], now: Self.issued)
        #expect(tokens.issuedAt == nil, "no stated expiry: no lifetime")
    }

    @Test("a 30 s token is used as it is 20 s in, and refreshed 28 s in (3 s margin), by the injected clock")
    func managerUsesTheScaledMargin() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("mcpkeeper-margin-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = TokenStore(directory: dir)
        try store.save(Self.tokens(lifetime: 30), for: "hosted")

        let early = TokenManager(upstream: "hosted", store: store, logger: Logger(label: "test"),
                                 now: { Self.issued.addingTimeInterval(20) })
        #expect(try await early.authorizationHeader() == "Bearer access-1")

        let late = TokenManager(upstream: "hosted", store: store, logger: Logger(label: "test"),
                                now: { Self.issued.addingTimeInterval(28) })
        let error = await #expect(throws: AuthError.self, "within the margin it refreshes (and the endpoint cannot be reached)") {
            _ = try await late.authorizationHeader()
        }
        guard case .server(let reason)? = error else { Issue.record("expected a failed refresh, got \(String(describing: error))"); return }
        #expect(reason.hasPrefix("cannot reach"), "\(reason)")
    }
}
