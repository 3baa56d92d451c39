@testable import KeeperCore
import Foundation
import Testing

/// Request-log redaction by key and by shape: secrets go, ordinary ids (UUIDs, Notion page ids, URLs)
/// stay readable.
@Suite("Secret redaction by key and shape")
struct SecretRedactionTests {
    static let notionToken = "ntn_" + String(repeating: "a1B2c3D4e5", count: 4) + "XyZ123"
    static let legacyToken = "secret_" + String(repeating: "Q9w8E7r6T5", count: 4) + "abc"
    static let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    static let hexKey = String(repeating: "0123456789abcdef", count: 4)

    @Test("secret keys by word, pair or compound, case-insensitive",
          arguments: ["auth", "Authorization", "x-api-key", "X-API-Key", "api_key", "apiKey", "apikey", "private_key", "privateKey",
                      "credentials", "passwd", "password", "secret", "token", "NOTION_TOKEN", "cookie", "Set-Cookie", "session",
                      "sessionId", "client_secret", "access_key", "refresh_token", "authToken"])
    func secretKeys(_ key: String) {
        #expect(Redactor.isSecretKey(key))
    }

    @Test("ordinary keys stay ordinary", arguments: ["author", "authors", "query", "name", "id", "page_id", "keyword", "monkey", "content", "cursor"])
    func ordinaryKeys(_ key: String) {
        #expect(!Redactor.isSecretKey(key))
    }

    @Test("a secret key's number stays (maxTokens is no secret), its string or object goes")
    func numbersUnderSecretKeys() throws {
        let value = try JSONParser.parse(#"{"maxTokens":100,"x-api-key":"k-123","credentials":{"user":"u"},"auth":null}"#)
        #expect(Redactor.redact(value).serialized() == #"{"maxTokens":100,"x-api-key":"[REDACTED]","credentials":"[REDACTED]","auth":null}"#)
    }

    @Test("secret-shaped text is cut out of strings under ordinary keys",
          arguments: [
            ("token \(notionToken) here", "token [REDACTED] here"),
            ("\(legacyToken)", "[REDACTED]"),
            ("Authorization: Bearer abc.DEF-ghi_123~+/=", "Authorization: Bearer [REDACTED]"),
            ("bearer  \(notionToken)", "bearer  [REDACTED]"),
            ("jwt=\(jwt);", "jwt=[REDACTED];"),
            ("key \(hexKey)", "key [REDACTED]"),
            ("-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\nafter", "[REDACTED]\nafter"),
          ])
    func shapes(text: String, expected: String) {
        #expect(SecretShapes.redact(text) == expected)
    }

    @Test("ids, URLs and prose are not secret-shaped",
          arguments: ["59833787-2cf9-4fdf-8782-e53db20768a5", "2cf94fdf8782e53db20768a559833787",
                      "https://www.notion.so/Meeting-Notes-2cf94fdf8782e53db20768a559833787", "api.notion.com",
                      "ntn_short", "my_secret_recipe", "the bearer of bad news", "Bearer realm", "Notion-Version: 2022-06-28",
                      "da39a3ee5e6b4b0d3255bfef95601890afd80709", "eyJ", "a.b.c", "notion-get-self"])
    func noFalsePositives(_ text: String) {
        #expect(SecretShapes.redact(text) == nil)
    }
}
