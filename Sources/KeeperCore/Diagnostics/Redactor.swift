/// Replaces secrets in a body before it is written to the request log: the values of secret-looking
/// keys, and secret-shaped text under any key (`SecretShapes`).
public enum Redactor {
    /// Words of a key (split at `_`, `-`, `.`, spaces and camelCase) that mark its value secret.
    public static let secretWords: Set<String> = [
        "auth", "authorization", "bearer", "cookie", "cookies", "credential", "credentials", "jwt", "passphrase",
        "passwd", "password", "secret", "secrets", "session", "token", "tokens",
    ]
    /// Adjacent word pairs that mark a key secret, such as `x-api-key` or `privateKey`.
    public static let secretPairs: Set<[String]> = [
        ["api", "key"], ["private", "key"], ["access", "key"], ["secret", "key"], ["signing", "key"], ["client", "secret"],
    ]
    /// Compound spellings without separators, matched as substrings of the lowercased key.
    public static let secretFragments = ["token", "secret", "password", "passwd", "authorization", "cookie", "apikey", "privatekey",
                                         "accesskey", "credential", "sessionid"]

    public static let placeholder: JSONValue = "[REDACTED]"

    public static func isSecretKey(_ key: String) -> Bool {
        let lowered = key.lowercased()
        if secretFragments.contains(where: lowered.contains) { return true }
        let words = self.words(key)
        if words.contains(where: secretWords.contains) { return true }
        return zip(words, words.dropFirst()).contains { secretPairs.contains([$0, $1]) }
    }

    /// `x-api-key` → x, api, key; `privateKeyPem` → private, key, pem.
    static func words(_ key: String) -> [String] {
        var words: [String] = []
        var current = ""
        var previousWasLower = false
        for character in key {
            if character == "_" || character == "-" || character == "." || character == " " {
                if !current.isEmpty { words.append(current) }
                current = ""
                previousWasLower = false
                continue
            }
            if character.isUppercase, previousWasLower, !current.isEmpty {
                words.append(current)
                current = ""
            }
            current += character.lowercased()
            previousWasLower = character.isLowercase || character.isNumber
        }
        if !current.isEmpty { words.append(current) }
        return words
    }

    /// The value with secret keys' values replaced (numbers, booleans and null stay: `maxTokens: 100`
    /// is no secret) and secret-shaped text cut out of every other string.
    public static func redact(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var redacted = JSONObject()
            for (key, member) in object {
                redacted[key] = isSecretKey(key) && hidesValue(member) ? placeholder : redact(member)
            }
            return .object(redacted)
        case .array(let elements):
            return .array(elements.map(redact))
        case .string(let text):
            return SecretShapes.redact(text).map(JSONValue.string) ?? value
        default:
            return value
        }
    }

    private static func hidesValue(_ value: JSONValue) -> Bool {
        switch value {
        case .string, .object, .array: return true
        default: return false
        }
    }
}
