import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One token file per upstream (`STATE_DIR/tokens/NAME.json`): directory 0700, file 0600, written
/// atomically, optionally encrypted. A file others can read, a corrupt file or one that does not
/// decrypt is refused with the fix, and never silently overwritten. Every token loaded or saved is
/// registered with `SecretScrubber.shared`, so no output of mcpkeeper ever shows it.
public struct TokenStore: Sendable {
    public let directory: String
    public let cipher: TokenCipher?

    public init(directory: String, cipher: TokenCipher? = nil) {
        self.directory = directory
        self.cipher = cipher
    }

    public func path(for upstream: String) -> String { "\(directory)/\(upstream).json" }
    public func lock(for upstream: String) -> FileLock { FileLock(path: "\(directory)/\(upstream).lock") }

    /// The stored tokens, or nil when there is no file.
    public func load(_ upstream: String) throws(AuthError) -> OAuthTokens? {
        let path = path(for: upstream)
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        if info.st_mode & 0o077 != 0 {
            throw .store(path: path, reason: "other users can read it (mode \(String(info.st_mode & 0o777, radix: 8))); fix with: chmod 600 \(path)")
        }
        let relogin = "move it away and log in again: mcpkeeper auth login --upstream \(upstream)"
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .store(path: path, reason: "it cannot be read; check its owner and mode (chmod 600 \(path)), or \(relogin)")
        }
        guard let json = try? JSONParser.parse(Array(data)) else {
            throw .store(path: path, reason: "it is not valid JSON (it was left as it is); \(relogin)")
        }
        var plain = json
        if TokenCipher.isSealed(json) {
            guard let cipher else { throw .store(path: path, reason: "it is encrypted but no key is configured (auth.key_env or auth.key_file)") }
            let opened = try cipher.open(json, path: path)
            guard let decoded = try? JSONParser.parse(opened) else {
                throw .store(path: path, reason: "it decrypted to something that is not JSON (it was left as it is); \(relogin)")
            }
            plain = decoded
        }
        guard let tokens = OAuthTokens(json: plain) else {
            throw .store(path: path, reason: "it lacks client_id, token_endpoint or access_token (it was left as it is); \(relogin)")
        }
        HeldSecrets.register(tokens)
        return tokens
    }

    public func save(_ tokens: OAuthTokens, for upstream: String) throws(AuthError) {
        HeldSecrets.register(tokens)
        let path = path(for: upstream)
        var bytes = tokens.json.serializedBytes()
        if let cipher { bytes = try cipher.seal(bytes).serializedBytes() }
        do {
            try SecureFile.createDirectory(directory)
            try SecureFile.writeAtomically(bytes + [0x0A], to: path)
        } catch {
            throw .store(path: path, reason: error.reason)
        }
    }

    public func delete(_ upstream: String) {
        unlink(path(for: upstream))
    }
}

extension TokenStore {
    /// The store a config describes: `STATE_DIR/tokens`, encrypted when `token_encryption` is set.
    public static func configured(stateDirectory: String, key: TokenKeySource?,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) throws(AuthError) -> TokenStore {
        let directory = "\(stateDirectory)/tokens"
        switch key {
        case nil:
            return TokenStore(directory: directory)
        case .environment(let name):
            guard let text = environment[name], !text.isEmpty else {
                throw .store(path: directory, reason: "token_encryption.key_env names \(name), which is not set; export it (generate a key with: openssl rand -hex 32)")
            }
            return TokenStore(directory: directory, cipher: try TokenCipher(keyText: text))
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw .store(path: path, reason: "the token_encryption.key_file cannot be read; create it with: openssl rand -hex 32 > \(path); chmod 600 \(path)")
            }
            return TokenStore(directory: directory, cipher: try TokenCipher(keyText: String(decoding: data, as: UTF8.self)))
        }
    }
}
