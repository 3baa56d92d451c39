import Foundation
import Synchronization

/// Every secret mcpkeeper itself holds (OAuth access and refresh tokens, client secrets, bearer
/// tokens from `token_env`, the Notion token it hands a child, the listener key), registered once and
/// replaced by `[redacted]` in everything mcpkeeper emits: stderr, the request log, probe and doctor
/// output, and the errors it sends clients. An upstream that echoes a token back (a 401 body quoting
/// the `Authorization` header it got) cannot leak it through mcpkeeper.
///
/// ```swift
/// SecretScrubber.shared.register(tokens.accessToken)
/// let safe = SecretScrubber.shared.scrub(message)
/// ```
public final class SecretScrubber: Sendable {
    /// The process's scrubber; it starts out holding the secrets in mcpkeeper's own environment
    /// (`NOTION_TOKEN`, `OPENAPI_MCP_HEADERS`), which a child upstream inherits.
    public static let shared: SecretScrubber = {
        let scrubber = SecretScrubber()
        scrubber.registerEnvironment(ProcessInfo.processInfo.environment, names: HeldSecrets.wellKnownVariables)
        return scrubber
    }()

    public static let placeholder = "[redacted]"
    /// Shorter values are not held: replacing them everywhere would mangle ordinary text.
    public static let minimumLength = 8

    /// The byte patterns to replace, longest first so a secret containing another goes whole.
    private let patterns = Mutex<[[UInt8]]>([])

    public init() {}

    /// Holds `secret` (and its JSON-escaped form, as it appears inside a JSON string) from now on.
    public func register(_ secret: String?) {
        guard let secret, secret.utf8.count >= Self.minimumLength else { return }
        let forms = Set([Array(secret.utf8), Array(JSONValue.string(secret).serializedBytes().dropFirst().dropLast())])
        patterns.withLock { held in
            let fresh = forms.filter { !held.contains($0) }
            guard !fresh.isEmpty else { return }
            held = (held + fresh).sorted { $0.count > $1.count }
        }
    }

    /// Holds the values of `names` in `environment`, and for a header set in JSON (`OPENAPI_MCP_HEADERS`)
    /// each header value and the token in a `Bearer` value.
    public func registerEnvironment(_ environment: [String: String], names: [String]) {
        for name in names {
            guard let value = environment[name], !value.isEmpty else { continue }
            register(value)
            HeldSecrets.embedded(in: value).forEach(register)
        }
    }

    /// Whether any secret is held (then every emission pays for a scan).
    public var isEmpty: Bool { patterns.withLock { $0.isEmpty } }

    public func scrub(_ text: String) -> String {
        scrubbed(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) } ?? text
    }

    public func scrub(_ bytes: [UInt8]) -> [UInt8] {
        scrubbed(bytes) ?? bytes
    }

    /// A message to the client with every held secret scrubbed (an upstream's error may quote the
    /// token it was sent); the very same message, uncopied, when it holds none.
    public func scrub(_ message: JSONRPCMessage) -> JSONRPCMessage {
        guard let clean = scrubbed(message.bytes), let decoded = try? JSONRPCMessage.decode(clean) else { return message }
        return decoded
    }

    /// The bytes with every held secret replaced, or nil when there was none to replace.
    func scrubbed(_ bytes: [UInt8]) -> [UInt8]? {
        let held = patterns.withLock { $0 }
        var out: [UInt8]?
        for pattern in held {
            if let replaced = Self.replace(pattern, in: out ?? bytes) { out = replaced }
        }
        return out
    }

    private static let replacement = Array(placeholder.utf8)

    /// `bytes` with each `pattern` replaced, or nil when it does not occur.
    private static func replace(_ pattern: [UInt8], in bytes: [UInt8]) -> [UInt8]? {
        guard let first = pattern.first, bytes.count >= pattern.count else { return nil }
        var out: [UInt8] = []
        var index = 0
        var copied = 0
        let last = bytes.count - pattern.count
        while index <= last {
            if bytes[index] == first, bytes[index..<index + pattern.count].elementsEqual(pattern) {
                out.append(contentsOf: bytes[copied..<index])
                out.append(contentsOf: replacement)
                index += pattern.count
                copied = index
            } else {
                index += 1
            }
        }
        guard copied > 0 else { return nil }
        out.append(contentsOf: bytes[copied...])
        return out
    }
}
