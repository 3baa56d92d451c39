/// Which of a config's values are secrets mcpkeeper holds, for `SecretScrubber`.
public enum HeldSecrets {
    /// Variables that carry a Notion token into a child even without a config naming them.
    public static let wellKnownVariables = ["NOTION_TOKEN", "OPENAPI_MCP_HEADERS"]

    /// Registers every secret `config` makes mcpkeeper hold: the variables its upstreams name for
    /// tokens (`token_env`, `notion_token_env`) and for the token encryption key, header values and
    /// child environment values under secret-looking names.
    public static func register(_ config: KeeperConfig, environment: [String: String], in scrubber: SecretScrubber = .shared) {
        var names = wellKnownVariables
        if case .environment(let name)? = config.tokenKey { names.append(name) }
        for entry in config.upstreams {
            let upstream = entry.upstream
            if let name = upstream.notionTokenEnv { names.append(name) }
            if case .bearer(let name) = upstream.auth { names.append(name) }
            switch upstream.transport {
            case .url(_, let headers, _):
                scrubber.registerEnvironment(headers, names: headers.keys.filter(Redactor.isSecretKey))
            case .command(let spec):
                scrubber.registerEnvironment(spec.environment, names: spec.environment.keys.filter(isSecretVariable))
            case .sandbox:
                break
            }
        }
        scrubber.registerEnvironment(environment, names: names)
    }

    /// OAuth tokens and the client secret of a stored login.
    public static func register(_ tokens: OAuthTokens, in scrubber: SecretScrubber = .shared) {
        scrubber.register(tokens.accessToken)
        scrubber.register(tokens.refreshToken)
        scrubber.register(tokens.clientSecret)
    }

    static func isSecretVariable(_ name: String) -> Bool {
        wellKnownVariables.contains(name) || Redactor.isSecretKey(name)
    }

    /// Secrets inside a value: the token of `Bearer TOKEN`, and for a JSON object of headers, each
    /// value (and its bearer token).
    static func embedded(in value: String) -> [String] {
        var found: [String] = []
        if let token = bearerToken(value) { found.append(token) }
        if value.hasPrefix("{"), let object = (try? JSONParser.parse(Array(value.utf8)))?.objectValue {
            for (_, member) in object {
                guard let text = member.stringValue else { continue }
                found.append(text)
                if let token = bearerToken(text) { found.append(token) }
            }
        }
        return found
    }

    static func bearerToken(_ value: String) -> String? {
        guard value.lowercased().hasPrefix("bearer ") else { return nil }
        return String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }
}
