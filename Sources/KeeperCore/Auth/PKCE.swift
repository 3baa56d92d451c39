import Crypto

/// Proof Key for Code Exchange (RFC 7636), S256 only: the verifier stays here, its hash travels.
public struct PKCE: Sendable {
    public let verifier: String
    public var challenge: String { Self.challenge(for: verifier) }

    /// 32 random bytes, base64url: a 43-character verifier, as the RFC recommends.
    public init() {
        var generator = SystemRandomNumberGenerator()
        verifier = Base64URL.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    public init(verifier: String) { self.verifier = verifier }

    public static func challenge(for verifier: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Array(verifier.utf8))))
    }
}

/// Base64url without padding (RFC 4648 §5), as OAuth uses it.
public enum Base64URL {
    public static func encode(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var out = ""
        var i = 0
        while i + 2 < bytes.count {
            let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            out += String([alphabet[n >> 18 & 63], alphabet[n >> 12 & 63], alphabet[n >> 6 & 63], alphabet[n & 63]])
            i += 3
        }
        if bytes.count - i == 1 {
            let n = Int(bytes[i]) << 16
            out += String([alphabet[n >> 18 & 63], alphabet[n >> 12 & 63]])
        } else if bytes.count - i == 2 {
            let n = Int(bytes[i]) << 16 | Int(bytes[i + 1]) << 8
            out += String([alphabet[n >> 18 & 63], alphabet[n >> 12 & 63], alphabet[n >> 6 & 63]])
        }
        return out
    }

    /// Random bytes as base64url, for `state`, tokens and ids.
    public static func random(bytes count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return encode((0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }
}
