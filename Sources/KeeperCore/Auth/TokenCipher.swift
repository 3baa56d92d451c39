import Crypto
import Foundation

/// Optional encryption of token files at rest: AES-256-GCM with a 32-byte key (64 hex digits or
/// base64) from a file or an environment variable.
public struct TokenCipher: Sendable {
    /// Kept as bytes: `SymmetricKey` is not Sendable.
    private let keyBytes: [UInt8]
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    public init(keyText: String) throws(AuthError) {
        let trimmed = keyText.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.count == 64, let bytes = Self.hex(trimmed) {
            keyBytes = bytes
        } else if let data = Data(base64Encoded: trimmed), data.count == 32 {
            keyBytes = Array(data)
        } else {
            throw .store(path: "(encryption key)", reason: "the key must be 32 bytes, as 64 hex digits or base64; generate one with: openssl rand -hex 32")
        }
    }

    public func seal(_ plaintext: [UInt8]) throws(AuthError) -> JSONValue {
        do {
            let box = try AES.GCM.seal(plaintext, using: key)
            guard let combined = box.combined else { throw AuthError.server("encryption produced no output") }
            return ["mcpkeeper_encrypted": "aes-256-gcm", "data": .string(combined.base64EncodedString())]
        } catch {
            throw .store(path: "(encryption)", reason: "\(error)")
        }
    }

    public static func isSealed(_ json: JSONValue) -> Bool { json["mcpkeeper_encrypted"] != nil }

    public func open(_ json: JSONValue, path: String) throws(AuthError) -> [UInt8] {
        guard json["mcpkeeper_encrypted"] == "aes-256-gcm", let text = json["data"]?.stringValue,
              let combined = Data(base64Encoded: text) else {
            throw .store(path: path, reason: "not an encrypted token file this version understands")
        }
        do {
            return Array(try AES.GCM.open(AES.GCM.SealedBox(combined: combined), using: key))
        } catch {
            throw .store(path: path, reason: "cannot decrypt it with the configured key (wrong key?); it was left as it is")
        }
    }

    static func hex(_ text: String) -> [UInt8]? {
        guard text.allSatisfy(\.isHexDigit) else { return nil }
        var bytes: [UInt8] = []
        var iterator = text.makeIterator()
        while let high = iterator.next(), let low = iterator.next() {
            guard let byte = UInt8(String([high, low]), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }
}
