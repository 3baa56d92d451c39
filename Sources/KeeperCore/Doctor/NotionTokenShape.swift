import Foundation

/// Whether a value looks like a Notion integration token, described without revealing it: only
/// its prefix and length are ever shown.
public enum NotionTokenShape {
    static let prefixes = ["ntn_", "secret_"]

    /// E.g. `ntn_… (50 characters)`.
    public static func describe(_ token: String) -> String {
        let prefix = prefixes.first { token.hasPrefix($0) } ?? ""
        return "\(prefix)… (\(token.count) characters)"
    }

    /// What is wrong with it, or nil when it has a Notion token's shape.
    public static func problem(_ token: String) -> String? {
        if token.isEmpty { return "it is empty" }
        if token.trimmingCharacters(in: .whitespacesAndNewlines) != token { return "it has spaces or line breaks around it" }
        if token.contains("\"") || token.contains("'") { return "it has quotes in it" }
        if token.lowercased().hasPrefix("bearer ") { return "it starts with \"Bearer \"; the variable takes the token alone" }
        guard let prefix = prefixes.first(where: { token.hasPrefix($0) }) else {
            return "it does not start with ntn_ or secret_, as Notion integration tokens do"
        }
        let rest = token.dropFirst(prefix.count)
        if rest.count < 20 || !rest.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            return "it is too short or has characters a Notion token does not have (was it cut off when pasted?)"
        }
        return nil
    }
}
