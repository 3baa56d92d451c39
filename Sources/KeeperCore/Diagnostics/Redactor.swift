/// Replaces the values of secret-looking keys before a body is written to a log.
public enum Redactor {
    /// Substrings of a key (case-insensitive) whose value is never logged.
    public static let secretKeyFragments = ["token", "secret", "password", "authorization", "cookie", "api_key", "apikey"]

    public static let placeholder: JSONValue = "[REDACTED]"

    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        return secretKeyFragments.contains { lowered.contains($0) }
    }

    public static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var redacted = JSONObject()
            for (key, member) in object {
                redacted[key] = isSecretKey(key) && !member.isNull ? placeholder : redact(member)
            }
            return .object(redacted)
        case .array(let elements):
            return .array(elements.map(redact))
        default:
            return value
        }
    }
}
