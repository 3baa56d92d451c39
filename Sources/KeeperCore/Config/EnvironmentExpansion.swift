/// Expands `${VAR}` and `${VAR:-default}` in every string of a config; `$${` writes a literal `${`.
///
/// Secrets belong in the environment, so this is how tokens reach the config; an unset variable
/// without a default is reported at its JSON path.
public struct EnvironmentExpansion: Sendable {
    public let environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    public func expand(_ value: JSONValue, path: String, problems: inout [ConfigProblem]) -> JSONValue {
        switch value {
        case .string(let text):
            return .string(expand(text, path: path, problems: &problems))
        case .array(let elements):
            return .array(elements.enumerated().map { expand($1, path: "\(path)[\($0)]", problems: &problems) })
        case .object(let object):
            var expanded = JSONObject()
            for (key, member) in object {
                expanded[key] = expand(member, path: ConfigPath.join(path, key), problems: &problems)
            }
            return .object(expanded)
        default:
            return value
        }
    }

    public func expand(_ text: String, path: String, problems: inout [ConfigProblem]) -> String {
        guard text.contains("${") else { return text }
        var result = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            if rest[..<start.lowerBound].hasSuffix("$") {
                result += rest[..<rest.index(before: start.lowerBound)] + "${"
                rest = rest[start.upperBound...]
                continue
            }
            result += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                problems.append(ConfigProblem(.error, path, "unterminated \"${\"; write ${NAME} or ${NAME:-default}"))
                return text
            }
            let expression = rest[start.upperBound..<end]
            let (name, fallback) = Self.split(expression)
            if let value = environment[name] {
                result += value
            } else if let fallback {
                result += fallback
            } else {
                problems.append(ConfigProblem(.error, path,
                    "environment variable \(name) is not set; export it, or write ${\(name):-default}"))
            }
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    private static func split(_ expression: Substring) -> (String, String?) {
        guard let marker = expression.range(of: ":-") else { return (String(expression), nil) }
        return (String(expression[..<marker.lowerBound]), String(expression[marker.upperBound...]))
    }
}

/// JSON paths as problems report them: `upstreams.notion-local.args[1]`.
enum ConfigPath {
    static func join(_ parent: String, _ key: String) -> String {
        parent.isEmpty ? key : "\(parent).\(key)"
    }
}
