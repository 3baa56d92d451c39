import Crypto
import Foundation
import KeeperCore

/// The opaque `requestState` of an input-required result. It travels through the client, which may
/// alter it, so it is signed (HMAC-SHA256) and bound to the tool and a deadline: an altered, foreign,
/// expired or other tool's state fails verification. The key is drawn once per process, so every
/// connection of one sandbox accepts it (stateless HTTP requests may come on any) and a restarted
/// sandbox refuses the old one (the client then starts over).
enum SandboxRequestState {
    /// Kept as bytes: `SymmetricKey` is not `Sendable`, so it is rebuilt for each use.
    private static let keyBytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
    private static var key: SymmetricKey { SymmetricKey(data: keyBytes) }
    /// Long enough for a person to answer an elicitation, short enough to bound replays.
    static let lifetimeSeconds = 600

    static func issue(tool: String, now: Date = Date()) -> String {
        let payload = Array("\(tool)\n\(Int(now.timeIntervalSince1970) + lifetimeSeconds)".utf8)
        return Base64URL.encode(payload + Array(HMAC<SHA256>.authenticationCode(for: payload, using: key)))
    }

    static func verify(_ state: String, tool: String, now: Date = Date()) -> Bool {
        // Only the canonical encoding counts, so no altered character decodes to the same bytes.
        guard let bytes = decode(state), bytes.count > SHA256.byteCount, Base64URL.encode(bytes) == state else { return false }
        let payload = Array(bytes.dropLast(SHA256.byteCount))
        guard HMAC<SHA256>.isValidAuthenticationCode(Array(bytes.suffix(SHA256.byteCount)), authenticating: payload, using: key) else {
            return false
        }
        let fields = String(decoding: payload, as: UTF8.self).split(separator: "\n")
        guard fields.count == 2, fields[0] == tool, let deadline = Int(fields[1]) else { return false }
        return Int(now.timeIntervalSince1970) <= deadline
    }

    private static func decode(_ text: String) -> [UInt8]? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return Data(base64Encoded: standard).map(Array.init)
    }
}
