/// Warns about secrets written into the config itself instead of referenced as `${ENV}`.
enum LiteralSecretScan {
    static func warnings(in value: JSONValue, path: String = "", key: String? = nil) -> [ConfigProblem] {
        switch value {
        case .string(let text):
            guard !text.contains("${"), looksSecret(text, key: key) else { return [] }
            return [ConfigProblem(.warning, path,
                "looks like a literal secret; keep it out of the file: put it in an environment variable and write \"${NAME}\" here")]
        case .array(let elements):
            return elements.enumerated().flatMap { warnings(in: $1, path: "\(path)[\($0)]", key: key) }
        case .object(let object):
            return object.flatMap { warnings(in: $0.value, path: ConfigPath.join(path, $0.key), key: $0.key) }
        default:
            return []
        }
    }

    private static func looksSecret(_ text: String, key: String?) -> Bool {
        if text.hasPrefix("ntn_") || text.hasPrefix("secret_") { return true }
        if text.lowercased().hasPrefix("bearer "), text.count > 12 { return true }
        guard let key, Redactor.isSecretKey(key), !key.hasSuffix("_env") else { return false }
        return !text.isEmpty
    }
}
